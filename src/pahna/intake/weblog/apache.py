"""Apache `LogFormat` (and varnishncsa's `-F`, which follows it) compiled to a LogFormat.

The format string is read with apachelogs' grammar of directives (modifiers, `{param}`,
`%>s`, `%{%d/%b/%Y}t`...), which also refuses directives Apache does not have; pahna then
builds its own single-pass pattern (see `patterns`) and reads the directives it needs.
Accepted: the whole directive (``LogFormat "%h %l ..." combined``) or the format alone,
quoted or not.
"""

from __future__ import annotations

import re

from apachelogs.directives import DIRECTIVE_RGX, PARAMETERIZED_DIRECTIVES, PLAIN_DIRECTIVES

from pahna.errors import LogFormatError
from pahna.intake.weblog.fields import Field, LogFormat
from pahna.intake.weblog.patterns import Part, line_pattern

COMMON = '%h %l %u %t "%r" %>s %b'
COMBINED = '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"'
COMBINEDIO = '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" %I %O'
"""Apache's documented formats (mod_log_config; combinedio with mod_logio)."""
VARNISHNCSA = '%h %l %u %t "%r" %s %b "%{Referer}i" "%{User-agent}i"'
"""varnishncsa's default format."""

_PLAIN = {
    "a": ("client", ""), "h": ("client", ""), "t": ("time", "clf"), "r": ("request", ""),
    "U": ("path", ""), "s": ("status", ""), "b": ("body_bytes", ""), "B": ("body_bytes", ""),
    "O": ("bytes", ""), "v": ("host", ""), "V": ("host", ""),
}
_HEADERS = {"host": "host", "user-agent": "user_agent", "range": "range",
            "x-forwarded-for": "forwarded_for"}
_TIME_UNITS = {"sec": "epoch_s", "msec": "epoch_ms", "usec": "epoch_us"}
_VARIABLES = {"varnish:hitmiss": "cache", "varnish:handling": "cache",
              "cache-status": "cache"}
_DIRECTIVE = re.compile(r'^\s*LogFormat\s+"((?:[^"\\]|\\.)*)"(?:\s+\S+)?\s*$')


def _unquote(text: str) -> str:
    found = _DIRECTIVE.match(text)
    if found:
        body = found.group(1)
    elif len(text) > 1 and text.strip()[0] == text.strip()[-1] == '"':
        body = text.strip()[1:-1]
    else:
        return text
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


def _known(match: re.Match[str]) -> bool:
    name, param = match.group("directive"), match.group("param")
    if name == "x":  # varnishncsa's extended variables
        return True
    table = PARAMETERIZED_DIRECTIVES if param is not None else PLAIN_DIRECTIVES
    return name in table


def _field(match: re.Match[str], text: str) -> Field | None:
    name, param = match.group("directive"), match.group("param")
    label = match.group(0)
    if param is None:
        if name == "s" and "<" in (match.group("modifiers1") or ""):
            return None  # the original status; %>s (or %s) is what the client got
        role = _PLAIN.get(name)
        return Field(role[0], label, role[1]) if role else None
    lowered = param.lower()
    if name == "i" and lowered in _HEADERS:
        return Field(_HEADERS[lowered], label)
    if name in ("x", "e", "n") and lowered in _VARIABLES:
        return Field(_VARIABLES[lowered], label)
    if name == "a" and param == "c":
        return None
    if name == "t":
        return _time_field(param, label, text)
    return None


def _time_field(param: str, label: str, text: str) -> Field:
    bare = param.removeprefix("begin:").removeprefix("end:")
    if bare in _TIME_UNITS:
        return Field("time", label, _TIME_UNITS[bare])
    if bare in ("msec_frac", "usec_frac") or "%" not in bare:
        raise LogFormatError(f"apache LogFormat {text!r}: time {label} cannot be read alone")
    return Field("time", label, "strftime")


def apache_format(text: str, product: str = "apache") -> LogFormat:
    """Compile an Apache LogFormat (or varnishncsa -F) string."""
    body = _unquote(text)
    parts: list[Part] = []
    time_pattern = ""
    for match in DIRECTIVE_RGX.finditer(body):
        literal = match.group("literal")
        if literal is not None:
            if literal == "%":
                raise LogFormatError(f"{product} format {text!r}: a lone % at {match.start()}")
            parts.append(literal)
            continue
        if match.group("directive") == "%":
            parts.append("%")
            continue
        if not _known(match):
            raise LogFormatError(f"{product} format {text!r}: unknown directive "
                                 f"{match.group(0)}")
        found = _field(match, text)
        if found is not None and found.kind == "strftime":
            time_pattern = (match.group("param") or "").removeprefix("begin:").removeprefix(
                "end:")
        if match.group("directive") == "t" and match.group("param") is None:
            parts.extend(["[", found, "]"])  # %t writes [10/Oct/2000:13:55:36 -0700]
            continue
        parts.append(found)
    pattern, fields = line_pattern(parts, "apache", f"{product} format")
    return LogFormat(product, text, fields, pattern=pattern, escape="apache",
                     time_pattern=time_pattern)
