"""Exact money: integer amounts in the currency's minor unit, Decimal rates.

The rounding rule, written on every statement: an amount is computed exactly (integers,
Decimals and fractions, never floats) and rounded once, half to even, to the minor unit.
A pool is shared by the largest-remainder method, so shares add up to the pool exactly;
ties between equal remainders go to the smaller producer id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

ROUNDING_RULE = (
    "Amounts are computed exactly and rounded once, half to even, to the minor unit. "
    "Pool shares use the largest-remainder method; ties go to the smaller producer id."
)
ROUNDING_RULE_FA = (
    "مبالغ به‌طور دقیق محاسبه و تنها یک بار، با گرد کردن نیمه به زوج، به کوچک‌ترین واحد پول "
    "گرد می‌شوند. سهم‌ها از سقف بودجه به روش بزرگ‌ترین باقی‌مانده تقسیم می‌شوند؛ در تساوی، "
    "مرکز با شناسه کوچک‌تر مقدم است."
)
BYTES_PER_GB = 10**9
"""Billing gigabyte: 10^9 bytes (SI), as carriers bill."""


@dataclass(frozen=True)
class Currency:
    """The settlement currency: an ISO 4217 code and its decimal places.

    IRR has no minor unit in practice (0 places); a redenominated rial with two decimal
    places is Currency("IRR2", 2) or whatever code the ministry adopts.
    """

    code: str = "IRR"
    minor_units: int = 0

    @property
    def scale(self) -> int:
        """Minor units per major unit (1 for IRR, 100 for a two-decimal currency)."""
        return int(10**self.minor_units)

    def text(self, amount_minor: int) -> str:
        """An amount in minor units written in major units: 12345 -> '123.45' (2 places)."""
        if self.minor_units == 0:
            return str(amount_minor)
        sign = "-" if amount_minor < 0 else ""
        whole, frac = divmod(abs(amount_minor), self.scale)
        return f"{sign}{whole}.{frac:0{self.minor_units}d}"


def round_minor(value: Fraction | Decimal | int) -> int:
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
    return round_shares({k: Fraction(pool) * Fraction(w) / total for k, w in weights.items()})


def round_shares(exact: Mapping[str, Fraction], target: int | None = None) -> dict[str, int]:
    """Round exact shares to integers summing to `target` (default: their exact sum,
    which must then be whole), by largest remainder.

    Floors first, then one unit each to the largest remainders (ties: smaller id). With
    floor(sum) <= target < floor(sum) + (shares with a remainder), no share moves more
    than one unit, and a share whose exact value is whole (held at a cap) never moves.
    """
    shares = {key: value.numerator // value.denominator for key, value in exact.items()}
    total = sum(exact.values(), Fraction(0))
    if target is None:
        if total.denominator != 1:
            raise ValueError("exact shares must sum to a whole number of minor units")
        target = int(total)
    left = target - sum(shares.values())
    remainders = {key: exact[key] - shares[key] for key in exact}
    # sort on a 64-bit integer image of each remainder first (cheap), the exact
    # remainder only breaks ties between equal images, then the smaller id
    order = sorted(exact, key=lambda key: (
        -((remainders[key].numerator << 64) // remainders[key].denominator),
        -remainders[key], key))
    for key in order[:left]:
        shares[key] += 1
    return shares


def parse_amount(text: str, currency: Currency) -> int:
    """A signed major-unit decimal ("-1500", "12.50") as exact minor units; refuses any
    amount that would need rounding."""
    from decimal import InvalidOperation

    from pahna.errors import SettlementError

    try:
        value = Fraction(Decimal(text.strip())) * currency.scale
    except InvalidOperation as exc:
        raise SettlementError(f"amount {text!r} is not a decimal") from exc
    if value.denominator != 1:
        raise SettlementError(f"amount {text!r} has more than {currency.minor_units} "
                              "decimal places")
    return int(value)
