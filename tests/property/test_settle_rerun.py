"""Settling the same inputs twice gives the same bytes; the pool holds on whole periods."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pahna.calendar import JalaliMonth
from pahna.parties import Producer
from pahna.settle.document import canonical_bytes, from_document, to_document
from pahna.settle.money import Currency
from pahna.settle.statements import SettlementInputs, settle_period
from pahna.settle.tariffs import Tariff
from pahna.settle.usage import BinUsage, ProducerUsage

MONTH = JalaliMonth.parse("1404-08")
TARIFF = Tariff.from_dict({
    "id": "t", "version": 1, "valid_from": "1404-01", "pool_minor": 10**9, "cap_minor": 3 * 10**8,
    "volume": {"model": "graduated", "billed_classes": ["domestic", "unknown"], "tiers": [
        {"up_to_gb": "1", "rate_per_gb": "300000000"}, {"rate_per_gb": "100000000.5"}]},
    "percentile": {"price_per_mbps": "1000000"},
    "time_of_day": [{"start": "00:00", "end": "08:00", "multiplier": "0.5"}],
    "multipliers": {"producer_type": {"student_startup": "1.5"}, "intra_province": "1.1"},
    "international_rate_per_gb": "1000",
})

bins = st.lists(st.builds(BinUsage, st.integers(0, 8639).map(
    lambda i: MONTH.start_ms + i * 300_000), st.integers(0, 10**9), st.integers(0, 10**8),
    st.integers(0, 10**8), st.integers(0, 10**8)), max_size=20, unique_by=lambda b: b.bin_start_ms)


@st.composite
def usages(draw: st.DrawFn) -> tuple[ProducerUsage, ...]:
    count = draw(st.integers(1, 6))
    out = []
    for i in range(count):
        kind = draw(st.sampled_from(["public_centre", "student_startup"]))
        info = Producer(f"p{i}", f"P{i}", "", "IR-25", kind)
        got = tuple(sorted(draw(bins), key=lambda b: b.bin_start_ms))
        out.append(ProducerUsage(info, got, draw(st.integers(0, 50)), draw(st.integers(0, 10**6))))
    return tuple(out)


@given(usages(), st.sampled_from([0, 2]))
@settings(max_examples=60, deadline=None)
def test_rerun_gives_identical_bytes_and_round_trips(usage: tuple[ProducerUsage, ...],
                                                     places: int) -> None:
    inputs = SettlementInputs("1404-08", 8640, usage, TARIFF, Currency("IRR", places), {})
    first = canonical_bytes(to_document(settle_period(inputs)))
    second = canonical_bytes(to_document(settle_period(inputs)))
    assert first == second
    settlement = settle_period(inputs)
    assert canonical_bytes(to_document(from_document(to_document(settlement)))) == first
    assert settlement.total_minor <= TARIFF.pool_minor
    assert all(0 <= ln.amount_minor <= 3 * 10**8 for ln in settlement.lines)
