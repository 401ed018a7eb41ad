"""Ids of the things pahna names: producers, special IT zones, accounts.

An id is a slug: 1 to 64 characters, lower-case ASCII letters, digits and single hyphens,
starting with a letter or digit and not ending with a hyphen (``qom-univ``, ``ir-25-zone``).
Ids become parts of paths and URLs, so nothing else is accepted, and a few names that
mean something else where ids appear (``summary``, ``new``, ``all`` ...) are reserved.
Every entry point (CSV import, CLI, API, forms) checks ids with `check_id` before use.
"""

from __future__ import annotations

import re

from pahna.errors import InvalidIdError

MAX_ID_LENGTH = 64
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9]))*\Z")
RESERVED_IDS = frozenset({
    "all", "api", "admin", "new", "none", "null", "public", "static", "summary",
    "provinces", "producers", "payments", "statements", "me", "login", "logout",
})
"""Names that stand for something else where ids appear (files, URLs, pages)."""


def id_problem(value: str) -> str | None:
    """Why `value` is not an id, or None when it is one."""
    if not value:
        return "is empty"
    if len(value) > MAX_ID_LENGTH:
        return f"is longer than {MAX_ID_LENGTH} characters"
    if not _SLUG.fullmatch(value):  # `$` would also match before a final newline
        return ("must be lower-case letters, digits and single hyphens, "
                "starting with a letter or digit (such as qom-univ)")
    if value in RESERVED_IDS:
        return "is a reserved name"
    return None


def check_id(kind: str, value: str) -> str:
    """`value` when it is a valid id, else InvalidIdError naming the kind of id."""
    problem = id_problem(value)
    if problem is not None:
        raise InvalidIdError(kind, value, problem)
    return value
