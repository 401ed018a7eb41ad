"""A settlement end to end in memory: adjustments and costs on the statement, the
document round trip, and the province summary."""

from __future__ import annotations

from pahna.settle.adjustments import Adjustment
from pahna.settle.document import canonical_bytes, from_document, to_document
from pahna.settle.money import Currency
from pahna.settle.statements import SettlementInputs, province_totals, settle_period
from pahna.settle.tariffs import Tariff
from pahna.settle.usage import BinUsage, ProducerInfo, ProducerUsage

GB = 10**9
T = Tariff.from_dict({"id": "t", "version": 3, "valid_from": "1404-01", "pool_minor": 1000,
                      "volume": {"rate_per_gb": "1000"}})


def usage(pid: str, province: str, gb: int) -> ProducerUsage:
    return ProducerUsage(ProducerInfo(pid, pid.upper(), "", province),
                         (BinUsage(0, domestic=gb * GB),))


def test_pool_scaling_adjustments_and_costs() -> None:
    adjustment = Adjustment("adj-1", "1404-09", "a", -100, "1404-08", 1, "fix")
    inputs = SettlementInputs("1404-09", 8640, (usage("b", "IR-23", 1), usage("a", "IR-25", 2)),
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
