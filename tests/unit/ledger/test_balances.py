"""Balances carried between statements: a claw-back larger than the next month's amount
is carried, to the rial, until it is paid off; a suspended producer's balance is held;
adjustments are paid beside the pool and the cap, never inside them."""

from __future__ import annotations

from pathlib import Path

import pytest

from pahna.calendar import JalaliMonth
from pahna.errors import ImmutableStatementError
from pahna.ledger.book import Ledger
from pahna.parties import Producer
from pahna.settle.adjustments import Adjustment
from pahna.settle.document import from_document, to_document
from pahna.settle.money import Currency
from pahna.settle.statements import Settlement, SettlementInputs, settle_period
from pahna.settle.tariffs import Tariff
from pahna.settle.usage import BinUsage, ProducerUsage

GB = 10**9
TARIFF = Tariff.from_dict({"id": "t", "version": 1, "valid_from": "1404-01",
                           "pool_minor": 10**12, "volume": {"rate_per_gb": "1"}})


def month(ledger: Ledger, period: str, amounts: dict[str, int], status: str = "active",
          tariff: Tariff = TARIFF) -> Settlement:
    """Settle `period` with each producer sending amounts[pid] GB (1 rial per GB) and the
    ledger's adjustments and carried balances, and finalize it."""
    start = JalaliMonth.parse(period).start_ms
    usage = tuple(ProducerUsage(Producer(pid, pid, "", "IR-25", status=status),
                                (BinUsage(start, domestic=gb * GB),), 100)
                  for pid, gb in sorted(amounts.items()))
    inputs = SettlementInputs(period, 8640, usage, tariff, Currency(), {},
                              tuple(ledger.adjustments()), ledger.carried_into(period))
    settlement = settle_period(inputs)
    ledger.write_final(period, {"period": period, "seal": {"content_hash": period},
                                "settlement": to_document(settlement)})
    return from_document(ledger.final(period)["settlement"])


def claw_back(ledger: Ledger, amount: int, period: str, original: str) -> None:
    ledger.add_adjustment(Adjustment(ledger.next_adjustment_id(period), period, "a", amount,
                                     original, 1, "flows counted twice"))


def test_a_claw_back_bigger_than_the_next_month_is_carried_until_paid_off(
        tmp_path: Path) -> None:
    """Regression: only positive payables were exported, so a claw-back larger than the
    month's amount vanished instead of being carried forward."""
    ledger = Ledger(tmp_path)
    paid = {}
    paid["1404-08"] = month(ledger, "1404-08", {"a": 1000, "b": 10}).line("a")
    claw_back(ledger, -5000, "1404-09", "1404-08")
    for period, gb in (("1404-09", 2000), ("1404-10", 2500), ("1404-11", 1000),
                       ("1404-12", 700)):
        paid[period] = month(ledger, period, {"a": gb, "b": 10}).line("a")
    lines = {p: (ln.amount_minor, ln.adjustments_minor, ln.carried_minor, ln.payable_minor,
                 ln.carried_out_minor) for p, ln in paid.items() if ln is not None}
    assert lines == {
        "1404-08": (1000, 0, 0, 1000, 0),
        "1404-09": (2000, -5000, 0, 0, -3000),   # carried forward...
        "1404-10": (2500, 0, -3000, 0, -500),    # ...shown on both statements, and again
        "1404-11": (1000, 0, -500, 500, 0),      # paid off to the rial
        "1404-12": (700, 0, 0, 700, 0),
    }
    earned = 1000 + 2000 + 2500 + 1000 + 700 - 5000
    assert sum(ln[3] for ln in lines.values()) == earned
    carried = paid["1404-10"].carried  # type: ignore[union-attr]
    assert [(c.period, c.revision, c.amount_minor) for c in carried] == [("1404-09", 1, -3000)]
    assert ledger.carried_into("1405-01") == {}  # nothing left, nothing counted twice
    with pytest.raises(ImmutableStatementError, match="whose balances 1404-10 r1 carried"):
        ledger.void("1404-09", "too late: its balance was carried")


def test_a_voided_taker_gives_the_carry_back_to_its_reissue(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    month(ledger, "1404-08", {"a": 1000})
    claw_back(ledger, -3000, "1404-09", "1404-08")
    month(ledger, "1404-09", {"a": 1000})  # carries -2000
    month(ledger, "1404-10", {"a": 500})  # takes it in, carries -1500
    ledger.void("1404-10", "wrong tariff")
    assert [c.amount_minor for c in ledger.carried_into("1404-10")["a"]] == [-2000]
    again = month(ledger, "1404-10", {"a": 2500}).line("a")
    assert again is not None and (again.carried_minor, again.payable_minor) == (-2000, 500)


def test_a_suspended_producer_is_not_paid_and_its_balance_is_held(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    month(ledger, "1404-08", {"a": 1000})
    ledger.add_adjustment(Adjustment("adj-1", "1404-09", "a", 400, "1404-08", 1, "late"))
    held = month(ledger, "1404-09", {"a": 1000}, status="suspended").line("a")
    assert held is not None and (held.eligible, held.amount_minor, held.payable_minor,
                                 held.carried_out_minor) == (False, 0, 0, 400)
    assert held.ineligible_reasons == ("status: the producer is suspended",)
    back = month(ledger, "1404-10", {"a": 100}).line("a")
    assert back is not None and (back.carried_minor, back.payable_minor) == (400, 500)


def test_adjustments_are_paid_beside_the_pool_and_the_cap(tmp_path: Path) -> None:
    """Documented (docs/settlement.md, Adjustments): an adjustment corrects what an
    earlier month paid from that month's pool, so it is added after this month's pool
    and cap: a producer may be paid past the cap, the month past its pool."""
    capped = Tariff.from_dict({"id": "t", "version": 1, "valid_from": "1404-01",
                               "pool_minor": 1500, "cap_minor": 1000,
                               "volume": {"rate_per_gb": "1"}})
    ledger = Ledger(tmp_path)
    month(ledger, "1404-08", {"a": 5000, "b": 5000}, tariff=capped)
    ledger.add_adjustment(Adjustment("adj-1", "1404-09", "a", 300, "1404-08", 1, "owed"))
    settlement = month(ledger, "1404-09", {"a": 5000, "b": 5000}, tariff=capped)
    a, b = settlement.line("a"), settlement.line("b")
    assert a is not None and b is not None
    assert (a.amount_minor, b.amount_minor, settlement.total_minor) == (750, 750, 1500)
    assert a.payable_minor == 1050  # the pool's share, then the adjustment on top
    assert sum(ln.payable_minor for ln in settlement.lines) == 1800 > capped.pool_minor
