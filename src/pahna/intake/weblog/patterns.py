"""Line patterns: a format's literals and fields turned into one regular expression.

A field's value runs up to the first character of the literal that follows it: the
servers escape that character inside values where it could occur (nginx writes `"` as
`\\x22`; Apache as `\\"`, which the pattern for a quoted Apache field allows). Patterns
built this way need no backtracking, so the regex engine extracts every field of a line
in one pass. Two fields with nothing between them cannot be told apart and are refused.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pahna.errors import LogFormatError
from pahna.intake.weblog.fields import Field

Part = str | Field | None
"""A literal, a field pahna reads, or None for a field it does not read."""


def _value(next_literal: str, quoted: bool, escape: str) -> str:
    if not next_literal:
        return r"[^\r]*"
    stop = next_literal[0]
    if quoted and escape == "apache" and stop == '"':
        return r'(?:[^"\\]|\\.)*'
    return f"[^{re.escape(stop)}]*"


def line_pattern(parts: Sequence[Part], escape: str, what: str
                 ) -> tuple[str, tuple[Field, ...]]:
    """The regex of a line's body (named groups f0.. for the fields read; the scanner
    anchors it) and those fields. `what` names the format in errors."""
    merged: list[Part] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        elif part != "":
            merged.append(part)
    out: list[str] = []
    fields: list[Field] = []
    for index, part in enumerate(merged):
        if isinstance(part, str):
            out.append(re.escape(part))
            continue
        following = merged[index + 1] if index + 1 < len(merged) else ""
        if not isinstance(following, str):
            raise LogFormatError(f"{what}: two fields follow each other with nothing between "
                                 "them, so a line cannot be split between them")
        before = merged[index - 1] if index else ""
        quoted = isinstance(before, str) and before.endswith('"') and following.startswith('"')
        value = _value(following, quoted, escape)
        if part is not None and part.role == "client" and following.startswith(":"):
            value = r"[^\ ]*"  # ADDRESS:PORT (HAProxy's %ci:%cp): IPv6 holds colons too
        if part is None:
            out.append(f"(?:{value})")
        else:
            out.append(f"(?P<f{len(fields)}>{value})")
            fields.append(part)
    return "".join(out), tuple(fields)
