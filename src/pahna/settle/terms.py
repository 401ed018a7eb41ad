"""The value types tariff documents are written in: exact decimals (never floats),
bounded counts, and the strict model every part of a tariff document derives from.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

MAX_DECIMAL = Decimal(10) ** 18
"""The largest rate, bound or ratio a tariff may hold (major units, GB or Mbps)."""
MAX_PLACES = 18
"""Decimal places a tariff value may have (more would only slow exact arithmetic)."""
MAX_MULTIPLIER = Decimal(1000)
"""The largest multiplier (zone, producer type, time of day, intra-province)."""
MAX_MINOR = 2**63 - 1
"""The largest amount in minor units (pool, cap) or count (bytes, networks)."""


def _exact_decimal(value: Any) -> Decimal:
    """A decimal string or an integer as a Decimal; floats and booleans refused."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise ValueError("write decimals as strings (\"1.5\"), never as TOML floats or "
                         "booleans")
    try:
        number = Decimal(value)
    except ArithmeticError as exc:
        raise ValueError(f"{value!r} is not a decimal number") from exc
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_PLACES:
        raise ValueError(f"{value!r} has more than {MAX_PLACES} decimal places")
    if number < 0 or number > MAX_DECIMAL:
        raise ValueError(f"{value!r} must be between 0 and 10^18")
    return abs(number) if number.is_zero() else number  # "-0" is 0


def _multiplier(value: Any) -> Decimal:
    number = _exact_decimal(value)
    if number > MAX_MULTIPLIER:
        raise ValueError(f"{value!r}: a multiplier is at most {MAX_MULTIPLIER}")
    return number


Amount = Annotated[Decimal, BeforeValidator(_exact_decimal)]
"""A rate, bound or ratio: finite, 0 <= value <= 10^18, at most 18 places, never a float."""
Multiplier = Annotated[Decimal, BeforeValidator(_multiplier)]
"""A multiplier: as Amount, and at most MAX_MULTIPLIER."""
Count = Annotated[int, Field(strict=True, ge=0, le=MAX_MINOR)]
"""A non-negative integer that fits a signed 64-bit column (never a boolean)."""


class TermsModel(BaseModel):
    """A part of a tariff document: unknown keys and floats refused, frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_floats(cls, value: Any) -> Any:
        if isinstance(value, float):
            raise ValueError("write decimals as strings (\"1.5\"), never as TOML floats")
        return value
