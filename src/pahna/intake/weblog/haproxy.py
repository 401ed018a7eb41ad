"""HAProxy HTTP logs: `option httplog` (the predefined format) and `log-format` strings.

A line may carry a syslog prefix (`Feb  6 12:14:14 localhost haproxy[14389]: `), which
is skipped. `%B` (bytes_read) is every byte sent to the client, headers included. `%tr`
is the server's local time with no offset: the operator names the zone (--timezone).
The host is read from the captured request headers (`%hr`, `{www.example.ir|Mozilla..}`):
the first capture is taken as Host and the second, when there is one, as User-Agent,
as `capture request header Host` and `capture request header User-Agent` give them, in
that order.
"""

from __future__ import annotations

import re

from pahna.errors import LogFormatError
from pahna.intake.weblog.fields import Field, LogFormat
from pahna.intake.weblog.patterns import Part, line_pattern

HTTPLOG = ("%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc "
           "%ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r")
"""The format of `option httplog` (HAProxy configuration manual, 8.2.3)."""

_VARIABLES: dict[str, tuple[str, str]] = {
    "ci": ("client", ""), "tr": ("time", "haproxy"), "t": ("time", "haproxy"),
    "Tl": ("time", "clf"), "T": ("time", "clf"), "ST": ("status", ""), "B": ("bytes", ""),
    "r": ("request", ""), "HU": ("target", ""), "HP": ("path", ""),
}
_VARIABLE = re.compile(r"%(?:\{([^}]*)\})?(\w+|%)")
_SYSLOG = r"(?:[A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} [^ ]+ [^ \[]+\[[0-9]+\]: )?"
_CAPTURES = r"\{(?P<f{h}>[^|}]*)(?:\|(?P<f{u}>[^|}]*))?[^}]*\}"


def haproxy_format(text: str) -> LogFormat:
    """Compile a HAProxy log-format string (the httplog one when `text` is it)."""
    parts: list[Part] = []
    position, captures = 0, False
    for match in _VARIABLE.finditer(text):
        parts.append(text[position:match.start()])
        name, options = match.group(2), match.group(1) or ""
        position = match.end()
        if name == "%":
            parts.append("%")
        elif name == "hr" and not captures:
            captures = True
            parts.append(Field("host", "%hr"))
        else:
            role = _VARIABLES.get(name)
            quoted = "Q" in options
            parts += ['"'] if quoted else []
            parts.append(Field(role[0], f"%{name}", role[1]) if role else None)
            parts += ['"'] if quoted else []
    parts.append(text[position:])
    pattern, fields = line_pattern(parts, "none", "haproxy log-format")
    if captures:
        pattern, fields = _split_captures(pattern, fields)
    if not any(f.role == "time" for f in fields):
        raise LogFormatError(f"haproxy log-format {text!r}: no time (%tr, %t, %T or %Tl)")
    return LogFormat("haproxy", text, fields, pattern=_SYSLOG + pattern, escape="none")


def _split_captures(pattern: str, fields: tuple[Field, ...]) -> tuple[str, tuple[Field, ...]]:
    """The `%hr` group becomes two: the first capture (Host) and the second (User-Agent)."""
    index = next(i for i, f in enumerate(fields) if f.label == "%hr")
    renamed = re.sub(r"\(\?P<f(\d+)>", lambda m: f"(?P<f{int(m.group(1)) + 1}>"
                     if int(m.group(1)) > index else m.group(0), pattern)
    group = re.search(rf"\(\?P<f{index}>[^)]*\)", renamed)
    if group is None:
        raise LogFormatError("haproxy log-format: %hr could not be placed")
    captures = _CAPTURES.replace("{h}", str(index)).replace("{u}", str(index + 1))
    renamed = renamed[:group.start()] + captures + renamed[group.end():]
    new = (*fields[:index + 1], Field("user_agent", "%hr"), *fields[index + 1:])
    return renamed, new
