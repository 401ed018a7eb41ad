"""CSV cells pahna writes never start a spreadsheet formula, and read back as written.

The oracle is the rule itself, stated independently of `pahna.csvcells`: a cell that a
spreadsheet evaluates begins with = + - @ TAB or CR (OWASP, "CSV injection"), and a
negative or signed number is data, not a formula."""

from __future__ import annotations

import csv
import io
from decimal import Decimal, InvalidOperation

from hypothesis import given
from hypothesis import strategies as st

from pahna.csvcells import csv_cell, csv_row, plain_cell

STARTS = "=+-@\t\r"
# A bare CR inside a cell is left out: Python's csv writer with a "\n" line end does not
# quote it, whatever the cell's start (a leading CR is checked in test_known_payloads).
cells = (st.text(alphabet=st.sampled_from("=+-@\t'0123456789.eE ab\"|!(),;قم"), max_size=12)
         | st.text(max_size=12).filter(lambda text: "\r" not in text))


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except InvalidOperation:
        return False
    return text.strip() == text and text.lower() not in ("nan", "-nan", "+nan", "inf",
                                                          "-inf", "+inf", "infinity",
                                                          "-infinity", "+infinity")


def _written(values: list[object]) -> list[str]:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(csv_row(values))
    return next(csv.reader(io.StringIO(out.getvalue())))


@given(st.lists(cells, min_size=1, max_size=6))
def test_no_text_cell_starts_a_formula_and_each_reads_back(values: list[str]) -> None:
    written = _written(list(values))
    for value, cell in zip(values, written, strict=True):
        if cell[:1] and cell[0] in STARTS:
            assert _is_number(cell) and cell == value  # a number stays a number
        assert plain_cell(cell) == value


@given(st.integers(min_value=-(10**30), max_value=10**30))
def test_numbers_are_left_alone(value: int) -> None:
    assert _written([value, str(value)]) == [str(value), str(value)]


def test_known_payloads() -> None:
    assert csv_cell("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")"
    assert csv_cell("+cmd|' /C calc'!A0") == "'+cmd|' /C calc'!A0"
    assert csv_cell("@SUM(A1)") == "'@SUM(A1)"
    assert csv_cell("-2+3") == "'-2+3"
    assert csv_cell("\t=1") == "'\t=1" and csv_cell("\r=1") == "'\r=1"
    assert csv_cell("-1500") == "-1500" and csv_cell(-1500) == -1500
    assert csv_cell("qom-univ") == "qom-univ" and csv_cell("'=x") == "''=x"


def test_text_that_looks_marked_reads_back_as_written() -> None:
    """An apostrophe before a formula start is the mark, so text that already begins so
    gets one more: "'-" (once read back as "-", found by the property above)."""
    for value in ("'-", "''=1", "'@x", "'-5"):
        assert plain_cell(_written([value])[0]) == value
    assert csv_cell("'-") == "''-" and csv_cell("'abc") == "'abc" and csv_cell("'-5") == "'-5"

