"""Tariffs: versioned, effective-dated documents that turn usage into claims."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from pahna.errors import SettlementError
from pahna.settle.money import BYTES_PER_GB


@dataclass(frozen=True)
class Tariff:
    """A per-GB incentive rate and a budget pool for each month it is in force.

    Written as TOML::

        id = "incentive-1404"
        version = 1
        valid_from = "1404-01"            # Jalali month, inclusive
        valid_to = ""                     # empty: open-ended
        rate_rial_per_gb = "1500000"      # Decimal, as a string
        pool_rial = 50000000000           # budget per month, integer rials
    """

    id: str
    version: int
    valid_from: str
    valid_to: str | None
    rate_rial_per_gb: Decimal
    pool_rial: int

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "tariff") -> Tariff:
        try:
            rate = Decimal(str(data["rate_rial_per_gb"]))
            pool = data["pool_rial"]
            if rate < 0 or not isinstance(pool, int) or pool < 0:
                raise SettlementError(f"{source}: rate and pool must be non-negative, "
                                      "pool an integer")
            return cls(
                id=str(data["id"]), version=int(data.get("version", 1)),
                valid_from=str(data["valid_from"]),
                valid_to=str(data["valid_to"]) if data.get("valid_to") else None,
                rate_rial_per_gb=rate, pool_rial=pool,
            )
        except KeyError as exc:
            raise SettlementError(f"{source}: missing key {exc.args[0]!r}") from exc
        except InvalidOperation as exc:
            raise SettlementError(f"{source}: rate_rial_per_gb is not a decimal") from exc

    def covers(self, period: str) -> bool:
        return self.valid_from <= period and (self.valid_to is None or period <= self.valid_to)

    def claim(self, usage_bytes: int) -> Fraction:
        """The exact incentive claim, in rials, for `usage_bytes` at this rate."""
        return Fraction(usage_bytes) * Fraction(self.rate_rial_per_gb) / BYTES_PER_GB


def tariff_for(tariffs: list[Tariff], period: str) -> Tariff:
    """The tariff in force for `period`: the latest valid_from, then the highest version."""
    candidates = [t for t in tariffs if t.covers(period)]
    if not candidates:
        raise SettlementError(f"no tariff is in force for {period}")
    return max(candidates, key=lambda t: (t.valid_from, t.version))
