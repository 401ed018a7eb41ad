from __future__ import annotations

import pytest

from pahna.errors import ImportFileError
from pahna.settle.costs import parse_costs
from pahna.settle.iban import iban_problem
from pahna.settle.money import Currency


def test_iban_check() -> None:
    assert iban_problem("IR06 2960 0000 0010 0324 2000 01") is None
    assert "mod 97" in (iban_problem("IR062960000000100324200002") or "")
    assert "24 digits" in (iban_problem("IR0629600000001003242000") or "")
    assert "24 digits" in (iban_problem("DE89370400440532013000") or "")
    assert iban_problem(None) == "no IBAN on record"


def test_costs_csv() -> None:
    text = "producer_id,period,production,distribution\nqom-tv,1404-08,120.50,30\n"
    (cost,) = parse_costs(text, Currency("IRT", 2))
    assert (cost.production_minor, cost.distribution_minor, cost.total_minor) == (
        12050, 3000, 15050)
    with pytest.raises(ImportFileError, match="decimal places"):
        parse_costs(text, Currency("IRR", 0))
    with pytest.raises(ImportFileError, match=":2:"):
        parse_costs(text.replace("1404-08", "1404-13"), Currency("IRR", 0))
