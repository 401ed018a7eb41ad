"""Production and distribution costs per producer and period, read from CSV text.

    producer_id,period,production,distribution
    qom-tv,1404-08,120000000,30000000

Amounts are in the currency's major unit, written as decimals with at most as many
places as the currency has (an amount that would need rounding is refused).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from pahna.calendar import JalaliMonth
from pahna.errors import ImportFileError, PeriodError
from pahna.settle.money import Currency, decimal_text

COST_COLUMNS = ("producer_id", "period", "production", "distribution")


@dataclass(frozen=True)
class Cost:
    producer_id: str
    period: str
    production_minor: int
    distribution_minor: int

    @property
    def total_minor(self) -> int:
        return self.production_minor + self.distribution_minor


def _minor(text: str, currency: Currency, source: str, line: int, column: str) -> int:
    try:
        value = Fraction(Decimal(text.strip())) * currency.scale
    except InvalidOperation as exc:
        raise ImportFileError(source, line, f"{column} {text!r} is not a decimal") from exc
    if value.denominator != 1 or value < 0:
        raise ImportFileError(source, line, f"{column} {text!r}: not a non-negative amount "
                              f"with at most {currency.minor_units} decimal places")
    return int(value)


def parse_costs(text: str, currency: Currency, source: str = "costs.csv") -> list[Cost]:
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != COST_COLUMNS:
        raise ImportFileError(source, 1, f"header must be {','.join(COST_COLUMNS)}")
    out = []
    for number, row in enumerate(reader, start=2):
        try:
            period = str(JalaliMonth.parse(row["period"] or ""))
        except PeriodError as exc:
            raise ImportFileError(source, number, str(exc)) from exc
        if not row["producer_id"]:
            raise ImportFileError(source, number, "producer_id is empty")
        out.append(Cost(row["producer_id"], period,
                        _minor(row["production"] or "", currency, source, number, "production"),
                        _minor(row["distribution"] or "", currency, source, number,
                               "distribution")))
    return out


def coverage_ratio(paid_minor: int, cost_minor: int) -> str | None:
    """Incentive over cost, to four places; None when there is no cost to cover."""
    if cost_minor <= 0:
        return None
    return decimal_text(Fraction(paid_minor, cost_minor), 4)
