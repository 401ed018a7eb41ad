"""W3C extended logs (IIS, Amazon CloudFront standard logs): the `#Fields:` directive in
the file says what each line holds, so the format is compiled from it, again whenever
the file declares new fields (IIS writes the header anew when it restarts).

IIS separates fields with a space and writes spaces inside values as `+`; CloudFront
separates them with a tab and URL-encodes values. Times are UTC (`date` and `time`).
CloudFront's `x-host-header` is the name the viewer asked for (the alternate domain
name); its `cs(Host)` is the distribution's own domain and is used only without it.
"""

from __future__ import annotations

from pahna.errors import LogFormatError
from pahna.intake.weblog.fields import Field, LogFormat

_ROLES: dict[str, tuple[str, str]] = {
    "date": ("date", ""),
    "time": ("time", "w3c_time"),
    "c-ip": ("client", ""),
    "x-forwarded-for": ("forwarded_for", ""),
    "cs(x-forwarded-for)": ("forwarded_for", ""),
    "x-host-header": ("host", ""),
    "cs-host": ("host", ""),
    "cs(host)": ("host", ""),
    "cs-uri-stem": ("path", ""),
    "sc-status": ("status", ""),
    "sc-bytes": ("bytes", ""),
    "sc-content-len": ("body_bytes", ""),
    "sc-range-start": ("range", ""),
    "cs(range)": ("range", ""),
    "x-edge-result-type": ("cache", ""),
    "cs(user-agent)": ("user_agent", ""),
}
_HOST_ORDER = ("x-host-header", "cs-host", "cs(host)")

CLOUDFRONT_FIELDS = (
    "date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status "
    "cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type "
    "x-edge-request-id x-host-header cs-protocol cs-bytes time-taken x-forwarded-for "
    "ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version fle-status "
    "fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type "
    "sc-content-type sc-content-len sc-range-start sc-range-end")
"""The fields of CloudFront's standard log files, in their documented order."""


def w3c_format(fields_line: str, product: str) -> LogFormat:
    """The format of the lines after `#Fields: ...` (`product` is `w3c` or
    `cloudfront`)."""
    names = fields_line.removeprefix("#Fields:").split()
    if not names:
        raise LogFormatError(f"{product}: #Fields names no field")
    separator = "\t" if product == "cloudfront" else " "
    value = r"[^\t\r\n]*" if separator == "\t" else r"[^ \r\n]*"
    hosts = sorted((n for n in names if n.lower() in _HOST_ORDER),
                   key=lambda n: _HOST_ORDER.index(n.lower()))
    groups: list[str] = []
    fields: list[Field] = []
    for name in names:
        role = _ROLES.get(name.lower())
        if role is None or (role[0] == "host" and name != hosts[0]):
            groups.append(f"(?:{value})")
            continue
        groups.append(f"(?P<f{len(fields)}>{value})")
        fields.append(Field(role[0], name, role[1]))
    if not any(f.role in ("bytes", "body_bytes") for f in fields):
        raise LogFormatError(f"{product}: #Fields {' '.join(names)} has no byte count "
                             "(sc-bytes): such a log cannot say what was served")
    pattern = ("\t" if separator == "\t" else " ").join(groups)
    return LogFormat(product, fields_line, tuple(fields), pattern=pattern,
                     escape="url" if product == "cloudfront" else "w3c", comment="#")
