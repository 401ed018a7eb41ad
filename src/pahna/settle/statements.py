"""Statements: what each producer is paid for a period, and why."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from pahna.settle.money import ROUNDING_RULE, allocate_pool, round_minor
from pahna.settle.tariffs import Tariff


@dataclass(frozen=True)
class ProducerUsage:
    producer_id: str
    name: str
    name_fa: str
    province: str
    bytes: int


@dataclass(frozen=True)
class StatementLine:
    producer_id: str
    name: str
    name_fa: str
    province: str
    period: str
    bytes: int
    claim_rial: int  # at the tariff rate, before the pool
    amount_rial: int  # what is paid


@dataclass(frozen=True)
class Settlement:
    period: str
    tariff_id: str
    tariff_version: int
    rate_rial_per_gb: str
    pool_rial: int
    scaled_to_pool: bool
    rounding_rule: str
    lines: tuple[StatementLine, ...]

    @property
    def total_rial(self) -> int:
        return sum(line.amount_rial for line in self.lines)


def settle_period(period: str, usage: list[ProducerUsage], tariff: Tariff) -> Settlement:
    """Price usage under the tariff; when claims exceed the pool, share the pool in
    proportion to the exact claims (largest remainder)."""
    ordered = sorted(usage, key=lambda u: u.producer_id)
    exact: dict[str, Fraction] = {u.producer_id: tariff.claim(u.bytes) for u in ordered}
    scaled = sum(exact.values(), Fraction(0)) > tariff.pool_rial
    amounts = (allocate_pool(tariff.pool_rial, exact) if scaled
               else {k: round_minor(v) for k, v in exact.items()})
    lines = tuple(
        StatementLine(u.producer_id, u.name, u.name_fa, u.province, period, u.bytes,
                      round_minor(exact[u.producer_id]), amounts[u.producer_id])
        for u in ordered
    )
    return Settlement(period, tariff.id, tariff.version, str(tariff.rate_rial_per_gb),
                      tariff.pool_rial, scaled, ROUNDING_RULE, lines)
