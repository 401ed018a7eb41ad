"""Exact money: integer amounts in the currency's minor unit, Decimal rates.

The rounding rule, written on every statement: an amount is computed exactly (integers
and Decimals, never floats) and rounded once, half to even, to the minor unit. A pool is
shared by the largest-remainder method, so shares add up to the pool exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

ROUNDING_RULE = (
    "Amounts are computed exactly and rounded once, half to even, to the minor unit. "
    "Pool shares use the largest-remainder method; ties go to the smaller producer id."
)
BYTES_PER_GB = 10**9
"""Billing gigabyte: 10^9 bytes (SI), as carriers bill."""


def round_minor(value: Fraction | Decimal) -> int:
    """Round an exact amount (in minor units) half to even to an integer."""
    exact = Fraction(value)
    floor, remainder = divmod(exact.numerator, exact.denominator)
    twice = 2 * remainder
    if twice > exact.denominator or (twice == exact.denominator and floor % 2 == 1):
        return floor + 1
    return floor


def to_fraction(rate: Decimal) -> Fraction:
    return Fraction(rate)


def decimal_text(value: Fraction, places: int = 6) -> str:
    """A Fraction shown as a Decimal with `places` decimals (for display only)."""
    quantum = Decimal(1).scaleb(-places)
    return str((Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        quantum, rounding=ROUND_HALF_EVEN))


def allocate_pool(pool: int, weights: Mapping[str, Fraction | int]) -> dict[str, int]:
    """Share `pool` minor units in proportion to `weights` by largest remainder.

    Every share is the floor of its exact value, plus one unit for the producers with
    the largest remainders until the pool is used up; ties go to the smaller id. The
    shares sum to `pool` exactly (or are all 0 when every weight is 0).
    """
    if pool < 0:
        raise ValueError("pool must not be negative")
    if any(Fraction(w) < 0 for w in weights.values()):
        raise ValueError("weights must not be negative")
    total = sum((Fraction(w) for w in weights.values()), Fraction(0))
    if total == 0:
        return dict.fromkeys(weights, 0)
    shares: dict[str, int] = {}
    remainders: list[tuple[Fraction, str]] = []
    for key, weight in weights.items():
        exact = Fraction(pool) * Fraction(weight) / total
        shares[key] = exact.numerator // exact.denominator
        remainders.append((exact - shares[key], key))
    left = pool - sum(shares.values())
    remainders.sort(key=lambda item: (-item[0], item[1]))
    for _, key in remainders[:left]:
        shares[key] += 1
    return shares
