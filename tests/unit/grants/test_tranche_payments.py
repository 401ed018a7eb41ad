"""Tranches and the bank's word on their lines: a tranche is in one batch at a time, paid
when the bank confirms its line, due again (in a later batch) when the bank rejects it,
and published as an OCDS transaction only while batched or paid."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from pahna.grants import process
from pahna.grants.board import load_board
from pahna.grants.config import GrantSettings
from pahna.grants.demo import run_grants_demo
from pahna.grants.documents import DocumentStore
from pahna.grants.history import Author, revisions
from pahna.grants.models import Payment, Report
from pahna.grants.ocds.releases import all_releases
from pahna.grants.payments import batch_reference, confirm_lines, due_tranches, record_batched
from pahna.registry.database import open_registry

FIRST, SECOND = "PAHNA-1404-08-R1", "PAHNA-1404-09-R1"
M3 = "pay-agr-rayan-soft-m3"


def test_a_rejected_tranche_is_due_again_and_paid_once(tmp_path: Path) -> None:
    engine = open_registry(f"sqlite:///{tmp_path / 'registry.sqlite'}")
    run_grants_demo(engine, DocumentStore(tmp_path / "documents"))
    key = process.report_id("agr-rayan-soft", "m3")
    process.put_report(engine, Report(id=key, agreement_id="agr-rayan-soft",
                                      milestone_id="m3", text="Roll-out done"), Author())
    process.decide_report(engine, key, True, "live", Author("web:qom"))
    due = due_tranches(load_board(engine))
    assert [t.payment_id for t in due] == [M3]

    record_batched(engine, due, FIRST, Author())
    assert due_tranches(load_board(engine)) == []  # in one batch at a time
    assert [t.payment_id for t in due_tranches(load_board(engine), {FIRST})] == [M3]
    assert record_batched(engine, due, FIRST, Author())[0].batch == FIRST  # a rerun
    assert load_board(engine).entry("payment", M3).last.revision == 1  # adds nothing

    other = {batch_reference(FIRST, "pay-agr-kavir-data-m1"): "paid"}  # not this tranche
    assert confirm_lines(engine, {**other, batch_reference(FIRST, M3): "rejected"},
                         Author()) != []
    board = load_board(engine)
    assert board.find(Payment, "payment", M3).status == "rejected"
    assert [t.payment_id for t in due_tranches(board)] == [M3]  # due again
    assert M3 not in transactions(engine)

    record_batched(engine, due_tranches(load_board(engine)), SECOND, Author())
    assert confirm_lines(engine, {batch_reference(FIRST, M3): "paid"}, Author()) == []
    paid = confirm_lines(engine, {batch_reference(SECOND, M3): "paid"}, Author())
    assert [(p.id, p.batch, p.status) for p in paid] == [(M3, SECOND, "paid")]
    assert confirm_lines(engine, {batch_reference(SECOND, M3): "rejected"}, Author()) == []
    assert due_tranches(load_board(engine)) == []
    assert M3 in transactions(engine)


def transactions(engine: Engine) -> list[str]:
    """The transaction ids of the last release of the call the agreement is in."""
    releases = [r for r in all_releases(revisions(engine), GrantSettings())
                if r["ocid"].endswith("-qom-eservices")]
    return [tx["id"] for c in releases[-1].get("contracts", ())
            for tx in c.get("implementation", {}).get("transactions", ())]
