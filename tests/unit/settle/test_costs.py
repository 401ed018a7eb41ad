from __future__ import annotations

import pytest

from pahna.errors import ImportFileError
from pahna.settle.costs import parse_costs
from pahna.settle.money import Currency


def test_costs_csv() -> None:
    text = "producer_id,period,production,distribution\nqom-tv,1404-08,120.50,30\n"
    (cost,) = parse_costs(text, Currency("IRT", 2))
    assert (cost.production_minor, cost.distribution_minor, cost.total_minor) == (
        12050, 3000, 15050)
    with pytest.raises(ImportFileError, match="decimal places"):
        parse_costs(text, Currency("IRR", 0))
    with pytest.raises(ImportFileError, match=":2:"):
        parse_costs(text.replace("1404-08", "1404-13"), Currency("IRR", 0))
