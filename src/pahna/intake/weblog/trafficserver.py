"""Apache Traffic Server log formats (`logging.yaml` `format:` strings of `%<field>`
codes), its predefined ones (squid, common, extended, extended2) and an operator's own.

`psql` is the length of the response to the client with headers; `pscl` its body alone.
URLs in the squid format (`cquc`) are absolute.
"""

from __future__ import annotations

import re

from pahna.intake.weblog.fields import Field, LogFormat
from pahna.intake.weblog.patterns import Part, line_pattern

SQUID = ("%<cqtq> %<ttms> %<chi> %<crc>/%<pssc> %<psql> %<cqhm> %<cquc> %<caun> "
         "%<phr>/%<pqsn> %<psct> %<xid>")
COMMON = '%<chi> - %<caun> [%<cqtn>] "%<cqtx>" %<pssc> %<pscl>'
EXTENDED = (COMMON + " %<sssc> %<sscl> %<cqcl> %<pqcl> %<cqhl> %<pshl> %<pqhl> %<sshl> "
            "%<tts>")
EXTENDED2 = EXTENDED + " %<phr> %<cfsc> %<pfsc> %<crc>"
"""The formats Traffic Server predefines (Administrator's Guide, Logging)."""

_CODES: dict[str, tuple[str, str]] = {
    "cqtq": ("time", "epoch_s"), "cqts": ("time", "epoch_s"), "cqtn": ("time", "clf"),
    "chi": ("client", ""), "crc": ("cache", ""), "pssc": ("status", ""),
    "psql": ("bytes", ""), "pscl": ("body_bytes", ""), "cquc": ("target", ""),
    "cqu": ("target", ""), "cquuc": ("target", ""), "pqu": ("target", ""),
    "cqtx": ("request", ""), "cqup": ("path", ""), "{host}cqh": ("host", ""),
    "{user-agent}cqh": ("user_agent", ""), "{range}cqh": ("range", ""),
    "{x-forwarded-for}cqh": ("forwarded_for", ""),
}
_FIELD = re.compile(r"%<([^>]*)>")


def trafficserver_format(text: str) -> LogFormat:
    """Compile a Traffic Server format string."""
    parts: list[Part] = []
    position = 0
    for match in _FIELD.finditer(text):
        parts.append(text[position:match.start()])
        code = match.group(1)
        role = _CODES.get(code.lower())
        parts.append(Field(role[0], f"%<{code}>", role[1]) if role else None)
        position = match.end()
    parts.append(text[position:])
    pattern, fields = line_pattern(parts, "none", "traffic server format")
    absolute = any(f.label.lower() in ("%<cquc>", "%<cqu>", "%<pqu>") for f in fields)
    return LogFormat("trafficserver", text, fields, pattern=pattern, escape="none",
                     absolute_urls=absolute)
