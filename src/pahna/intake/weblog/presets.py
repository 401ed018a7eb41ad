"""`--log-format`: a preset's name, or an operator's format string as written in the
server's configuration, to what reads the file.

A string is taken as the product its prefix names (`nginx:`, `apache:`, `varnishncsa:`,
`trafficserver:`, `haproxy:`, `fastly:`), else as the product it can only be: an nginx
`log_format` (a `log_format` directive or `$variables`), an Apache `LogFormat`
(`%` directives), a Traffic Server format (`%<field>`), a Fastly template (`%{...}V`).
HAProxy's `%ci`-style strings need their prefix.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pahna.errors import LogFormatError
from pahna.intake.weblog import apache, haproxy, nginx, trafficserver
from pahna.intake.weblog.apache import apache_format
from pahna.intake.weblog.cdnjson import cloudflare_format, fastly_format
from pahna.intake.weblog.fields import LogFormat
from pahna.intake.weblog.haproxy import haproxy_format
from pahna.intake.weblog.nginx import nginx_format
from pahna.intake.weblog.squid import squid_format
from pahna.intake.weblog.trafficserver import trafficserver_format
from pahna.intake.weblog.w3c import CLOUDFRONT_FIELDS, w3c_format

PRESETS: dict[str, Callable[[], LogFormat]] = {
    "nginx-combined": lambda: nginx_format(nginx.COMBINED),
    "apache-common": lambda: apache_format(apache.COMMON),
    "apache-combined": lambda: apache_format(apache.COMBINED),
    "apache-combinedio": lambda: apache_format(apache.COMBINEDIO),
    "varnishncsa": lambda: apache_format(apache.VARNISHNCSA, "varnishncsa"),
    "squid": squid_format,
    "trafficserver-squid": lambda: trafficserver_format(trafficserver.SQUID),
    "trafficserver-common": lambda: trafficserver_format(trafficserver.COMMON),
    "trafficserver-extended": lambda: trafficserver_format(trafficserver.EXTENDED),
    "trafficserver-extended2": lambda: trafficserver_format(trafficserver.EXTENDED2),
    "haproxy-http": lambda: haproxy_format(haproxy.HTTPLOG),
    "cloudflare": cloudflare_format,
    "fastly": fastly_format,
}
W3C_PRESETS = ("w3c", "cloudfront")
"""Formats declared by the file itself (`#Fields:`); `w3c` is IIS's flavour."""

_PREFIXES: dict[str, Callable[[str], LogFormat]] = {
    "nginx": nginx_format,
    "apache": apache_format,
    "varnishncsa": lambda text: apache_format(text, "varnishncsa"),
    "trafficserver": trafficserver_format,
    "haproxy": haproxy_format,
    "fastly": fastly_format,
}


@dataclass(frozen=True)
class FormatSpec:
    """What --log-format named: a fixed format, or W3C whose fields the file declares
    (`fixed` None; `default_fields` used until the file says otherwise)."""

    name: str
    fixed: LogFormat | None = None
    w3c: str = ""
    default_fields: str = ""

    def for_fields(self, fields_line: str) -> LogFormat:
        return w3c_format(fields_line, self.w3c)

    @property
    def initial(self) -> LogFormat | None:
        if self.fixed is not None:
            return self.fixed
        return self.for_fields(self.default_fields) if self.default_fields else None


def resolve_format(text: str) -> FormatSpec:
    """The format `--log-format TEXT` names (see the module's docstring)."""
    name = text.strip()
    if name in PRESETS:
        return FormatSpec(name, PRESETS[name]())
    if name in W3C_PRESETS:
        default = "#Fields: " + CLOUDFRONT_FIELDS if name == "cloudfront" else ""
        return FormatSpec(name, w3c=name, default_fields=default)
    prefix, _, rest = name.partition(":")
    if prefix in _PREFIXES and rest:
        return FormatSpec(prefix, _PREFIXES[prefix](rest.strip()))
    product = _guess(name)
    if product is None:
        raise LogFormatError(
            f"--log-format {text!r}: not a preset ({', '.join([*PRESETS, *W3C_PRESETS])}) "
            "and not a format string pahna can tell the product of; prefix it with "
            "nginx:, apache:, varnishncsa:, trafficserver:, haproxy: or fastly:")
    return FormatSpec(product, _PREFIXES[product](name))


def _guess(text: str) -> str | None:
    if text.startswith("log_format") or "$" in text:
        return "nginx"
    if "%<" in text:
        return "trafficserver"
    if "}V" in text:
        return "fastly"
    if text.startswith("LogFormat") or "%" in text:
        return "apache"
    return None
