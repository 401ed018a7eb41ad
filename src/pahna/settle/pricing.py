"""Price one producer's month under a tariff: tariff lines, eligibility and the claim.

Every amount is an exact Fraction of minor units until the statement rounds it once. The
order is fixed and written on the statement: billed bytes priced by the volume model,
times the time-of-day factor, plus the intra-province uplift, plus international bytes
and the 95th percentile; the sum times the zone and producer-type multipliers is the
claim, which the cap and the pool may then reduce.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache

import numpy as np

from pahna.calendar import TEHRAN
from pahna.settle.balances import ACTIVE
from pahna.settle.money import BYTES_PER_GB, decimal_text
from pahna.settle.percentile import megabits_per_second, percentile_bytes
from pahna.settle.tariffs import Tariff, TimeWindow, VolumePricing
from pahna.settle.usage import ProducerUsage
from pahna.sums import exact_sum


@dataclass(frozen=True)
class TariffLine:
    """One step from usage to claim. `exact_minor` is the step's exact contribution."""

    code: str  # volume, time_of_day, intra_province, international, percentile, zone, ...
    quantity: str
    unit: str  # GB, Mbps, factor, share
    rate: str
    exact_minor: Fraction


@dataclass(frozen=True)
class Pricing:
    lines: tuple[TariffLine, ...]
    claim: Fraction  # exact minor units before cap and pool; 0 when not eligible
    eligible: bool
    reasons: tuple[str, ...]
    percentile_mbps: dict[str, Fraction]


def volume_price(pricing: VolumePricing, gb: Fraction) -> Fraction:
    """Major units for `gb` under flat, graduated or volume tiers."""
    if pricing.model == "flat":
        return gb * Fraction(pricing.rate_per_gb)
    if pricing.model == "volume":
        tier = next(t for t in pricing.tiers if t.up_to_gb is None or gb <= t.up_to_gb)
        return gb * Fraction(tier.rate_per_gb)
    total, lower = Fraction(0), Fraction(0)
    for tier in pricing.tiers:
        upper = Fraction(tier.up_to_gb) if tier.up_to_gb is not None else None
        inside = (gb if upper is None else min(gb, upper)) - lower
        if inside > 0:
            total += inside * Fraction(tier.rate_per_gb)
        if upper is None or gb <= upper:
            break
        lower = upper
    return total


@lru_cache(maxsize=1 << 12)
def tehran_offset_ms(epoch_ms: int) -> int:
    """Tehran's UTC offset at an instant, in milliseconds."""
    offset = datetime.fromtimestamp(epoch_ms / 1000, tz=TEHRAN).utcoffset()
    return int(offset.total_seconds() * 1000) if offset is not None else 0


def tehran_minutes(epoch_ms: np.ndarray) -> np.ndarray:
    """Minute of the day, Tehran local time, of each instant (vectorized).

    Within a month the offset changes at most once (the old summer time); instants are
    looked up one by one only when the offsets at both ends differ.
    """
    if len(epoch_ms) == 0:
        return np.zeros(0, dtype=np.int64)
    first, last = int(epoch_ms.min()), int(epoch_ms.max())
    if tehran_offset_ms(first) == tehran_offset_ms(last) and last - first < 40 * 86_400_000:
        offsets = np.full(len(epoch_ms), tehran_offset_ms(first), dtype=np.int64)
    else:
        offsets = np.array([tehran_offset_ms(int(t)) for t in epoch_ms], dtype=np.int64)
    return ((epoch_ms + offsets) // 60_000) % 1440


def window_mask(window: TimeWindow, minutes: np.ndarray) -> np.ndarray:
    start, end = window.minutes()
    if start <= end:
        return (minutes >= start) & (minutes < end)
    return (minutes >= start) | (minutes < end)


def time_of_day_factor(usage: ProducerUsage, tariff: Tariff) -> Fraction:
    """Billed bytes weighted by their bins' multipliers (the first window holding the
    bin's Tehran start time, else 1), over billed bytes (1 when nothing is billed)."""
    series = usage.series
    billed = series.billed(tariff.volume.billed_classes)
    total = exact_sum(billed)
    if not tariff.time_of_day or total == 0:
        return Fraction(1)
    minutes = tehran_minutes(series.start_ms)
    unclaimed = np.ones(len(billed), dtype=bool)
    weighted = Fraction(0)
    for window in tariff.time_of_day:
        inside = window_mask(window, minutes) & unclaimed
        weighted += exact_sum(billed[inside]) * Fraction(window.multiplier)
        unclaimed &= ~inside
    weighted += exact_sum(billed[unclaimed])
    return weighted / total


def _text(value: Fraction | Decimal, places: int = 6) -> str:
    return decimal_text(Fraction(value), places)


def billed_bytes(usage: ProducerUsage, tariff: Tariff) -> int:
    return sum(usage.total(c) for c in tariff.volume.billed_classes)


def bytes_lines(usage: ProducerUsage, tariff: Tariff, scale: int) -> list[TariffLine]:
    gb = Fraction(billed_bytes(usage, tariff), BYTES_PER_GB)
    base = volume_price(tariff.volume, gb) * scale
    rate = tariff.volume.rate_per_gb if tariff.volume.model == "flat" else tariff.volume.model
    lines = [TariffLine("volume", _text(gb), "GB", str(rate), base)]
    factor = time_of_day_factor(usage, tariff)
    if tariff.time_of_day:
        lines.append(TariffLine("time_of_day", _text(factor), "factor", "",
                                base * (factor - 1)))
    m_intra = Fraction(tariff.multipliers.intra_province)
    if m_intra != 1 and usage.sent_bytes:
        share = Fraction(usage.intra_province_bytes, usage.sent_bytes)
        lines.append(TariffLine("intra_province", _text(share), "share",
                                str(tariff.multipliers.intra_province),
                                base * factor * share * (m_intra - 1)))
    intl_rate = Fraction(tariff.international_rate_per_gb)
    if intl_rate and "international" not in tariff.volume.billed_classes:
        intl_gb = Fraction(usage.total("international"), BYTES_PER_GB)
        lines.append(TariffLine("international", _text(intl_gb), "GB",
                                str(tariff.international_rate_per_gb),
                                intl_gb * intl_rate * scale))
    return lines


def percentile_rates(usage: ProducerUsage, samples: int, percent: int) -> dict[str, Fraction]:
    series = usage.series
    sent = percentile_bytes(series.sent, samples, percent)
    received = percentile_bytes(series.of("received"), samples, percent)
    return {"sent": megabits_per_second(sent), "received": megabits_per_second(received)}


def percentile_line(rates: dict[str, Fraction], tariff: Tariff, scale: int
                    ) -> TariffLine | None:
    spec = tariff.percentile
    if spec is None:
        return None
    mbps = max(rates.values()) if spec.direction == "max" else rates[spec.direction]
    return TariffLine("percentile", _text(mbps), "Mbps", str(spec.price_per_mbps),
                      mbps * Fraction(spec.price_per_mbps) * scale)


def multiplier_lines(usage: ProducerUsage, tariff: Tariff, subtotal: Fraction
                     ) -> list[TariffLine]:
    producer = usage.producer
    lines: list[TariffLine] = []
    running = subtotal
    factors = (("zone", tariff.multipliers.zone.get(producer.zone or "")),
               ("producer_type", tariff.multipliers.producer_type.get(producer.type)))
    for code, factor in factors:
        if factor is None or factor == 1:
            continue
        lines.append(TariffLine(code, "1", "factor", str(factor), running * (Fraction(factor) - 1)))
        running *= Fraction(factor)
    return lines


def eligibility_reasons(usage: ProducerUsage, tariff: Tariff) -> tuple[str, ...]:
    """Why a producer is not paid this month (empty when it is)."""
    rules = tariff.eligibility
    reasons = []
    if usage.producer.status != ACTIVE:
        reasons.append(f"status: the producer is {usage.producer.status}")
    if billed_bytes(usage, tariff) < rules.min_bytes:
        reasons.append(f"min_bytes: {billed_bytes(usage, tariff)} < {rules.min_bytes}")
    if usage.client_networks < rules.min_client_networks:
        reasons.append(f"min_client_networks: {usage.client_networks} < "
                       f"{rules.min_client_networks}")
    ratio = rules.min_sent_received_ratio
    if ratio and usage.sent_bytes < ratio * usage.received_bytes:
        reasons.append(f"min_sent_received_ratio: {usage.sent_bytes}:{usage.received_bytes}"
                       f" is below {ratio}:1")
    return tuple(reasons)


def price_usage(usage: ProducerUsage, tariff: Tariff, samples: int, scale: int) -> Pricing:
    """Tariff lines and the exact claim (minor units) for one producer's month.

    `samples` is the month's number of 5-minute bins; `scale` minor units per major unit.
    """
    lines = bytes_lines(usage, tariff, scale)
    percent = tariff.percentile.percent if tariff.percentile else 95
    rates = percentile_rates(usage, samples, percent)
    p95 = percentile_line(rates, tariff, scale)
    if p95 is not None:
        lines.append(p95)
    subtotal = sum((line.exact_minor for line in lines), Fraction(0))
    lines += multiplier_lines(usage, tariff, subtotal)
    claim = sum((line.exact_minor for line in lines), Fraction(0))
    reasons = eligibility_reasons(usage, tariff)
    return Pricing(tuple(lines), Fraction(0) if reasons else claim, not reasons, reasons,
                   rates)
