"""Tariffs: versioned, effective-dated documents that turn usage into claims.

A tariff is a TOML document (see docs/settlement.md for every key, with examples). Rates
and multipliers are decimal strings ("1500000", "1.25") or integers, never floats, at
any depth (nested tables included); amounts (pool, cap) and counts are integers in the
currency's minor unit, never booleans. Every value is finite, non-negative and bounded
(settle.terms: MAX_DECIMAL, MAX_PLACES, MAX_MULTIPLIER, MAX_MINOR). Unknown keys are refused.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator

from pahna.errors import TariffError
from pahna.ids import id_problem
from pahna.integrity.policy import IntegrityPolicy
from pahna.parties import PRODUCER_TYPES
from pahna.schema import TRAFFIC_CLASSES
from pahna.settle.terms import Amount, Count, Multiplier, TermsModel

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])\Z")
_CLOCK = re.compile(r"^([01]\d|2[0-4]):[0-5]\d\Z")


_Part = TermsModel


class Tier(_Part):
    up_to_gb: Amount | None = Field(None, description="Upper bound; none: no bound.")
    rate_per_gb: Amount = Field(description="Major units per GB (10^9 bytes).")


class VolumePricing(_Part):
    """How billed bytes are priced. flat: one rate; graduated: each tier's rate on the GB
    inside it; volume: the rate of the tier the total falls in, on every GB."""

    model: Literal["flat", "graduated", "volume"] = "flat"
    rate_per_gb: Amount = Decimal(0)
    tiers: tuple[Tier, ...] = ()
    billed_classes: tuple[Literal["domestic", "international", "unknown"], ...] = ("domestic",)


class PercentilePricing(_Part):
    price_per_mbps: Amount = Field(description="Major units per Mbps of the 95th pct.")
    direction: Literal["sent", "received", "max"] = "sent"
    percent: int = Field(95, strict=True, ge=1, le=100)


class TimeWindow(_Part):
    """A multiplier for billed bytes in 5-minute bins starting in [start, end), Tehran time."""

    start: str
    end: str
    multiplier: Multiplier

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not _CLOCK.match(value) or (value.startswith("24") and value != "24:00"):
            raise ValueError(f"{value!r} is not a time of day HH:MM (00:00 to 24:00)")
        return value

    def minutes(self) -> tuple[int, int]:
        (h1, m1), (h2, m2) = (map(int, t.split(":")) for t in (self.start, self.end))
        return h1 * 60 + m1, h2 * 60 + m2


class Multipliers(_Part):
    zone: dict[str, Multiplier] = Field(default_factory=dict)
    producer_type: dict[str, Multiplier] = Field(default_factory=dict)
    intra_province: Multiplier = Decimal(1)

    @field_validator("zone")
    @classmethod
    def _zone_ids(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        bad = [f"{key!r} {id_problem(key)}" for key in value if id_problem(key)]
        if bad:
            raise ValueError(f"zone ids: {'; '.join(bad)}")
        return value

    @field_validator("producer_type")
    @classmethod
    def _types(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        unknown = sorted(set(value) - set(PRODUCER_TYPES))
        if unknown:
            raise ValueError(f"unknown producer types {unknown}; allowed: "
                             f"{', '.join(PRODUCER_TYPES)}")
        return value


class Eligibility(_Part):
    min_bytes: Count = Field(0, description="Billed bytes needed to be paid at all.")
    min_client_networks: Count = Field(0, description="Distinct client /24 plus /48.")
    min_sent_received_ratio: Amount = Decimal(0)


class ContentTerms(_Part):
    """Producers behind CDN and hosting operators (docs/weblogs.md): how far an operator's
    log bytes may stray from its flow bytes on a day before its tenants are held, and
    how a payment is allocated."""

    tolerance: Amount = Field(Decimal("0.05"), description="Largest |log bytes - flow "
                              "bytes| / flow bytes of an operator on one day (0.05: 5%).")
    allocation: Literal["pro_rata", "client_centric"] = "pro_rata"


OPTIONAL_PARTS = ("integrity", "content")
"""Parts added after tariffs were first sealed: left out of the digest when absent, so a
sealed tariff keeps its digest."""


class Tariff(_Part):
    id: str = Field(min_length=1)
    version: int = Field(strict=True, ge=1)
    valid_from: str
    valid_to: str | None = None
    currency: str = "IRR"
    pool_minor: Count = Field(description="Budget for the month, minor units.")
    pool_rule: Literal["proportional", "equal"] = "proportional"
    cap_minor: Count | None = Field(None, description="Most one producer is paid.")
    international_rate_per_gb: Amount = Decimal(0)
    volume: VolumePricing = Field(default_factory=VolumePricing)
    percentile: PercentilePricing | None = None
    time_of_day: tuple[TimeWindow, ...] = ()
    multipliers: Multipliers = Field(default_factory=Multipliers)
    eligibility: Eligibility = Field(default_factory=Eligibility)
    integrity: IntegrityPolicy | None = None
    content: ContentTerms | None = None

    @property
    def content_terms(self) -> ContentTerms:
        return self.content or ContentTerms()

    @field_validator("valid_from", "valid_to", mode="before")
    @classmethod
    def _month(cls, value: Any) -> Any:
        if value in ("", None):
            return None
        if not isinstance(value, str) or not _MONTH.match(value):
            raise ValueError(f"{value!r} is not a Jalali month like 1404-08")
        return value

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "tariff") -> Tariff:
        try:
            tariff = cls.model_validate(_upgrade(data, source))
        except ValidationError as exc:
            problems = "; ".join(
                f"[{'.'.join(str(p) for p in err['loc'])}] {err['msg']}" for err in exc.errors())
            raise TariffError(f"{source}: {problems}") from exc
        if tariff.valid_from is None:
            raise TariffError(f"{source}: [valid_from] is required")
        tariff.check_tiers(source)
        return tariff

    def check_tiers(self, source: str) -> None:
        if self.volume.model == "flat":
            return
        bounds = [t.up_to_gb for t in self.volume.tiers]
        if not bounds or bounds[-1] is not None or None in bounds[:-1]:
            raise TariffError(f"{source}: [volume.tiers] need bounds, the last one open")
        finite = [b for b in bounds if b is not None]
        if any(a >= b for a, b in itertools.pairwise(finite)):
            raise TariffError(f"{source}: [volume.tiers] bounds must increase")

    def covers(self, period: str) -> bool:
        start = self.valid_from or ""
        return start <= period and (self.valid_to is None or period <= self.valid_to)

    def document(self) -> dict[str, Any]:
        """The tariff as plain JSON, without the optional parts it does not have (so a
        tariff without [integrity] or [content] keeps the digest it had before they
        existed)."""
        data: dict[str, Any] = self.model_dump(mode="json")
        for part in OPTIONAL_PARTS:
            if data.get(part) is None:
                data.pop(part, None)
        return data

    @property
    def digest(self) -> str:
        """sha256 of the document's meaning (canonical JSON), so an edit is noticed."""
        text = json.dumps(self.document(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()



LEGACY_KEYS = ("rate_rial_per_gb", "pool_rial")


def _upgrade(data: dict[str, Any], source: str) -> dict[str, Any]:
    """Read a first-format document (rate_rial_per_gb, pool_rial: one per-GB rate on every
    attributed byte, whatever its class) as the same terms in today's format."""
    if not any(key in data for key in LEGACY_KEYS):
        return data
    rest = {k: v for k, v in data.items() if k not in LEGACY_KEYS}
    if "volume" in rest or "pool_minor" in rest:
        raise TariffError(f"{source}: first-format keys (rate_rial_per_gb, pool_rial) mixed "
                          "with new ones (volume, pool_minor)")
    return {**rest, "pool_minor": data.get("pool_rial"),
            "volume": {"rate_per_gb": str(data.get("rate_rial_per_gb", "0")),
                       "billed_classes": list(TRAFFIC_CLASSES)}}


def tariff_for(tariffs: list[Tariff], period: str) -> Tariff:
    """The tariff in force for `period`: the latest valid_from, then the highest version."""
    candidates = [t for t in tariffs if t.covers(period)]
    if not candidates:
        raise TariffError(f"no tariff is in force for {period}")
    return max(candidates, key=lambda t: (t.valid_from or "", t.version))
