"""Host names and URL paths as pahna writes them, in access-log records and in the
claims that match them, so the two always compare.

A host is lower case, without a port or a trailing dot (`WWW.Example.IR.:443` ->
`www.example.ir`; an IPv6 literal keeps its brackets). A path is the request target's
path without query or fragment, in RFC 3986 form: every byte that is not printable
ASCII (UTF-8 of a Persian path, a space), and `"` and `\\`, percent-encoded, and every
percent escape in upper case (`/فیلم` and `/%d9%81%db%8c%d9%84%d9%85` are both
`/%D9%81%DB%8C%D9%84%D9%85`). Escapes are never decoded (`%2F` stays `%2F`).
"""

from __future__ import annotations

import re
import string
from urllib.parse import quote

_SAFE = "".join(c for c in string.printable if c not in string.whitespace + '"\\%') + "%"
_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_PORT = re.compile(r"^(\[[^\]]*\]|[^:]*)(?::\d*)?$")
NEEDS_CANONICAL_PATH = r'[^!-~]|["\\]|%[0-9A-Fa-f]?[a-f]|%[a-f]'
"""Matches a path that `canonical_path` would change (for a vectorized first pass)."""


def canonical_path(path: str) -> str:
    """The path in the form described above (the query and fragment are cut off)."""
    path = path.split("?", 1)[0].split("#", 1)[0]
    encoded = quote(path, safe=_SAFE, encoding="utf-8", errors="surrogateescape")
    return _ESCAPE.sub(lambda m: m.group(0).upper(), encoded)


def canonical_host(host: str) -> str:
    """The host in the form described above."""
    host = host.strip().lower()
    found = _PORT.match(host)
    if found:
        host = found.group(1)
    return host.rstrip(".")
