"""Statements: what each producer is paid for a period, and why."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

from pahna.errors import SettlementError
from pahna.integrity.records import Exclusion, Hold
from pahna.settle.adjustments import Adjustment, adjustments_for
from pahna.settle.allocation import client_centric_claims
from pahna.settle.balances import ACTIVE, Carry, payable
from pahna.settle.costs import coverage_ratio
from pahna.settle.money import ROUNDING_RULE, Currency, decimal_text, round_minor
from pahna.settle.pool import PoolResult, share_pool
from pahna.settle.pricing import Pricing, TariffLine, billed_bytes, price_usage
from pahna.settle.tariffs import Tariff
from pahna.settle.usage import ProducerUsage


@dataclass(frozen=True)
class StatementLine:
    producer_id: str
    name: str
    name_fa: str
    province: str
    producer_type: str
    zone: str | None
    period: str
    domestic_bytes: int
    international_bytes: int
    unknown_bytes: int
    received_bytes: int
    billed_bytes: int
    intra_province_bytes: int
    client_networks: int
    p95_sent_mbps: str
    p95_received_mbps: str
    eligible: bool
    ineligible_reasons: tuple[str, ...]
    tariff_lines: tuple[TariffLine, ...]
    claim_minor: int  # the exact claim rounded, before cap and pool
    held_at_cap: bool
    exact_share: str  # the exact amount before rounding, for the audit
    amount_minor: int  # the incentive paid for this period
    adjustments: tuple[Adjustment, ...]
    cost_minor: int | None
    status: str = ACTIVE  # the producer's status when settled: active, suspended, closed
    carried: tuple[Carry, ...] = ()  # balances carried into this statement
    exclusions: tuple[Exclusion, ...] = ()  # bytes taken out before pricing (integrity)
    holds: tuple[Hold, ...] = ()  # why the payable amount is held for review (integrity)
    # under a tariff with [content]: the amount each allocation mode pays (settle.allocation)
    pro_rata_minor: int | None = None
    client_centric_minor: int | None = None

    @property
    def held(self) -> bool:
        """The line is held: payment batches leave it out until a reviewer releases it."""
        return bool(self.holds)

    @property
    def bytes(self) -> int:
        """Every byte sent (all traffic classes)."""
        return self.domestic_bytes + self.international_bytes + self.unknown_bytes

    @property
    def adjustments_minor(self) -> int:
        return sum(a.amount_minor for a in self.adjustments)

    @property
    def carried_minor(self) -> int:
        return sum(c.amount_minor for c in self.carried)

    @property
    def balance_minor(self) -> int:
        """Incentive + adjustments + balances carried in (docs/settlement.md, Payments)."""
        return self.amount_minor + self.adjustments_minor + self.carried_minor

    @property
    def payable_minor(self) -> int:
        """Paid for this statement: a positive balance of an active producer, else 0."""
        return payable(self.balance_minor, self.status)

    @property
    def carried_out_minor(self) -> int:
        """What this statement carries forward to the producer's next one."""
        return self.balance_minor - self.payable_minor

    @property
    def net_minor(self) -> int | None:
        return None if self.cost_minor is None else self.payable_minor - self.cost_minor

    @property
    def coverage_ratio(self) -> str | None:
        return None if self.cost_minor is None else coverage_ratio(self.payable_minor,
                                                                   self.cost_minor)

    @property
    def amount_rial(self) -> int:
        """Alias of amount_minor (kept for callers written when IRR was the only currency)."""
        return self.amount_minor


@dataclass(frozen=True)
class Settlement:
    period: str
    currency: str
    minor_units: int
    tariff_id: str
    tariff_version: int
    tariff_digest: str
    pool_minor: int
    pool_rule: str
    cap_minor: int | None
    scaled_to_pool: bool
    samples: int  # 5-minute bins in the month
    rounding_rule: str
    lines: tuple[StatementLine, ...]
    integrity: dict[str, Any] | None = None  # signals, scores and baselines, when reviewed
    allocation: str | None = None  # the mode in force, under a tariff with [content]

    @property
    def total_minor(self) -> int:
        return sum(line.amount_minor for line in self.lines)

    @property
    def total_rial(self) -> int:
        return self.total_minor

    @property
    def pool_rial(self) -> int:
        return self.pool_minor

    def line(self, producer_id: str) -> StatementLine | None:
        return next((ln for ln in self.lines if ln.producer_id == producer_id), None)


@dataclass(frozen=True)
class SettlementInputs:
    period: str
    samples: int
    usage: tuple[ProducerUsage, ...]
    tariff: Tariff
    currency: Currency
    costs: Mapping[str, int]  # producer id -> total cost in minor units
    adjustments: tuple[Adjustment, ...] = ()
    carried: Mapping[str, tuple[Carry, ...]] = field(default_factory=dict)
    integrity: Reviewed | None = None
    # bytes each producer sent to each client network (addresses.client_keys), for
    # client-centric allocation (settle.allocation); read only under a tariff with [content]
    client_bytes: Mapping[str, Mapping[int, Fraction | int]] = field(default_factory=dict)


@dataclass(frozen=True)
class Reviewed:
    """What integrity found (integrity.review): its document and each line's decisions."""

    document: dict[str, Any]
    exclusions: Mapping[str, tuple[Exclusion, ...]]
    holds: Mapping[str, tuple[Hold, ...]]


def _line(usage: ProducerUsage, pricing: Pricing, pool: PoolResult, inputs: SettlementInputs,
          modes: Mapping[str, PoolResult]) -> StatementLine:
    p, pid = usage.producer, usage.producer.id
    line = StatementLine(
        pid, p.name, p.name_fa, p.province, p.type, p.zone, inputs.period,
        usage.total("domestic"), usage.total("international"), usage.total("unknown"),
        usage.received_bytes, billed_bytes(usage, inputs.tariff), usage.intra_province_bytes,
        usage.client_networks, decimal_text(pricing.percentile_mbps["sent"]),
        decimal_text(pricing.percentile_mbps["received"]), pricing.eligible, pricing.reasons,
        pricing.lines, round_minor(pricing.claim), pid in pool.held_at_cap,
        decimal_text(pool.exact[pid]), pool.amounts[pid],
        adjustments_for(inputs.adjustments, inputs.period, pid), inputs.costs.get(pid),
        p.status, tuple(inputs.carried.get(pid, ())),
        inputs.integrity.exclusions.get(pid, ()) if inputs.integrity else (),
        inputs.integrity.holds.get(pid, ()) if inputs.integrity else ())
    if not modes:
        return line
    return replace(line, pro_rata_minor=modes["pro_rata"].amounts[pid],
                   client_centric_minor=modes["client_centric"].amounts[pid])


def _pools(inputs: SettlementInputs, claims: dict[str, Fraction]
           ) -> tuple[PoolResult, dict[str, PoolResult]]:
    """The pool result in force, and under a tariff with [content] both modes' results."""
    tariff = inputs.tariff
    pro_rata = share_pool(tariff.pool_minor, claims, tariff.cap_minor, tariff.pool_rule)
    if tariff.content is None:
        return pro_rata, {}
    modes = {"pro_rata": pro_rata, "client_centric": share_pool(
        tariff.pool_minor, client_centric_claims(claims, inputs.client_bytes),
        tariff.cap_minor, tariff.pool_rule)}
    return modes[tariff.content.allocation], modes


def settle_period(inputs: SettlementInputs) -> Settlement:
    """Price every producer, share the pool under the cap, and build the statements."""
    tariff, scale = inputs.tariff, inputs.currency.scale
    ordered = sorted(inputs.usage, key=lambda u: u.producer.id)
    pricings = {u.producer.id: price_usage(u, tariff, inputs.samples, scale) for u in ordered}
    claims: dict[str, Fraction] = {pid: pr.claim for pid, pr in pricings.items()}
    negative = sorted(pid for pid, value in claims.items() if value < 0)
    if negative:
        raise SettlementError(f"{inputs.period}: negative claim for {', '.join(negative)}; "
                              f"tariff {tariff.id} v{tariff.version} cannot pay less than 0")
    pool, modes = _pools(inputs, claims)
    lines = tuple(_line(u, pricings[u.producer.id], pool, inputs, modes) for u in ordered)
    return Settlement(inputs.period, inputs.currency.code, inputs.currency.minor_units,
                      tariff.id, tariff.version, tariff.digest, tariff.pool_minor,
                      tariff.pool_rule, tariff.cap_minor, pool.scaled, inputs.samples,
                      ROUNDING_RULE, lines,
                      inputs.integrity.document or None if inputs.integrity else None,
                      tariff.content.allocation if tariff.content is not None else None)


def province_totals(lines: Iterable[StatementLine]) -> dict[str, tuple[int, int, int]]:
    """Per province: (producers, bytes sent, amount paid), by province code."""
    out: dict[str, tuple[int, int, int]] = {}
    for line in lines:
        n, b, a = out.get(line.province, (0, 0, 0))
        out[line.province] = (n + 1, b + line.bytes, a + line.payable_minor)
    return dict(sorted(out.items()))
