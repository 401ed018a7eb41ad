"""A settlement end to end in memory: the rate under the pool, pro rata over it,
adjustments and costs on the statement, the document round trip, the province summary."""

from __future__ import annotations

from pahna.parties import Producer
from pahna.settle.adjustments import Adjustment
from pahna.settle.document import canonical_bytes, from_document, to_document
from pahna.settle.money import Currency
from pahna.settle.statements import SettlementInputs, province_totals, settle_period
from pahna.settle.tariffs import Tariff, tariff_for
from pahna.settle.usage import BinUsage, ProducerUsage

GB = 10**9
T = Tariff.from_dict({"id": "t", "version": 3, "valid_from": "1404-01", "pool_minor": 1000,
                      "volume": {"rate_per_gb": "1000"}})


def tariff(pool: int, rate: str = "1000", valid_from: str = "1404-01", version: int = 1
           ) -> Tariff:
    return Tariff.from_dict({"id": "t", "version": version, "valid_from": valid_from,
                             "pool_minor": pool, "volume": {"rate_per_gb": rate}})


def usage(pid: str, province: str, domestic_bytes: int) -> ProducerUsage:
    return ProducerUsage(Producer(pid, pid.upper(), "", province),
                         (BinUsage(0, domestic=domestic_bytes),))


def settle(t: Tariff, *usages: ProducerUsage):  # type: ignore[no-untyped-def]
    return settle_period(SettlementInputs("1404-08", 8640, usages, t, Currency(), {}))


def test_claims_under_the_pool_are_paid_at_the_rate() -> None:
    s = settle(tariff(10**9), usage("a", "IR-25", 3 * GB), usage("b", "IR-25", GB // 2))
    assert [(ln.producer_id, ln.amount_minor) for ln in s.lines] == [("a", 3000), ("b", 500)]
    assert not s.scaled_to_pool


def test_claims_over_the_pool_share_it_pro_rata() -> None:
    s = settle(tariff(1000), usage("a", "IR-25", 2 * GB), usage("b", "IR-25", GB),
               usage("c", "IR-25", 0))
    assert s.scaled_to_pool
    assert [ln.amount_minor for ln in s.lines] == [667, 333, 0]
    assert s.total_minor == 1000
    assert [ln.claim_minor for ln in s.lines] == [2000, 1000, 0]


def test_tariff_in_force_is_the_latest_version() -> None:
    chosen = tariff_for([tariff(1, valid_from="1403-01"), tariff(2, valid_from="1404-01"),
                         tariff(3, valid_from="1404-01", version=2)], "1404-08")
    assert chosen.pool_minor == 3


def test_pool_scaling_adjustments_and_costs() -> None:
    adjustment = Adjustment("adj-1", "1404-09", "a", -100, "1404-08", 1, "fix")
    inputs = SettlementInputs("1404-09", 8640, (usage("b", "IR-23", GB),
                                                usage("a", "IR-25", 2 * GB)),
                              T, Currency(), {"a": 400}, (adjustment,))
    s = settle_period(inputs)
    assert s.scaled_to_pool and s.total_minor == 1000
    a, b = s.lines
    assert (a.producer_id, a.claim_minor, a.amount_minor) == ("a", 2000, 667)
    assert (b.producer_id, b.claim_minor, b.amount_minor) == ("b", 1000, 333)
    assert (a.adjustments_minor, a.payable_minor, a.net_minor) == (-100, 567, 167)
    assert a.coverage_ratio == "1.4175" and b.coverage_ratio is None
    assert province_totals(s.lines) == {"IR-23": (1, GB, 333), "IR-25": (1, 2 * GB, 567)}
    again = from_document(to_document(s))
    assert again == s
    assert canonical_bytes(to_document(again)) == canonical_bytes(to_document(s))
