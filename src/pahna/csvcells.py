"""CSV cells that a spreadsheet will not run: pahna's one rule against formula injection.

A text cell beginning with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula
to Excel, LibreOffice and Google Sheets (OWASP "CSV injection"); such a cell is written
with a leading apostrophe, which spreadsheets show as text and drop. Numbers are left
alone (a negative amount stays a number), and so is text that is a plain number. Every
CSV pahna writes with text in it (statements, provinces, payments, the public totals,
registry exports) passes its cells through `csv_cell`; `registry import` reads the
apostrophe back off (`plain_cell`), so an export imports unchanged. (Flow exports hold
only numbers and addresses.)
"""

from __future__ import annotations

import re
from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?([eE][+-]?\d+)?")


def _marked(text: str) -> bool:
    """Text `csv_cell` marks: a formula to a spreadsheet, or an apostrophe before text
    it marks (else `plain_cell` would take that apostrophe for the mark: "'-" must be
    written "''-" to read back as "'-")."""
    if text.startswith("'"):
        return _marked(text[1:])
    return text.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(text)


def csv_cell(value: object) -> object:
    """`value`, with a leading apostrophe when it is text a spreadsheet would run (or
    text that would otherwise read back as such, see `_marked`)."""
    if isinstance(value, str) and _marked(value):
        return "'" + value
    return value


def csv_row(values: Iterable[object]) -> list[object]:
    return [csv_cell(v) for v in values]


def plain_cell(text: str) -> str:
    """The text `csv_cell` neutralised, as it was (other text unchanged)."""
    if text.startswith("'") and _marked(text[1:]):
        return text[1:]
    return text
