"""Payments of a final month through the `pahna` command: one batch per revision, never a
paid one again; the bank's confirmation closes each line; producers no longer active
are not paid."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session
from tests.conftest import CliRunner
from tests.ibans import iban_with_check_digits
from tests.unit.web.conftest import PERIOD, build_workspace

from pahna.ledger.book import Ledger
from pahna.pipeline import finalize
from pahna.registry.database import open_registry
from pahna.registry.models import ProducerRow
from pahna.workspace import Workspace

pytestmark = pytest.mark.slow


@pytest.fixture
def final(tmp_path: Path) -> Workspace:
    workspace = build_workspace(tmp_path / "home")
    with Session(open_registry(workspace.registry_url)) as session:
        for number, pid in enumerate(("qom-tv", "qom-univ", "teh-news"), start=1):
            session.execute(update(ProducerRow).where(ProducerRow.id == pid).values(
                iban=iban_with_check_digits(f"0170000000{number:012d}")))
        session.commit()
    finalize(workspace, PERIOD)
    return workspace


def bank_file(path: Path, rows: list[dict[str, str]], status: dict[str, str]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("reference", "amount", "status", "bank_reference"))
        for n, row in enumerate(rows):
            writer.writerow((row["reference"], row["amount"],
                             status.get(row["producer_id"], "paid"), f"BK{n}"))
    return path


def test_a_batch_is_exported_once_and_the_bank_closes_each_line(
        final: Workspace, pahna_cli: CliRunner, tmp_path: Path) -> None:
    """Regression: the same final could be exported for payment twice, and nothing
    imported the bank's confirmation."""
    home = ["--home", str(final.home)]
    batch = tmp_path / "batch.csv"
    out = pahna_cli("payments", "export", "--period", PERIOD, "--out", str(batch), *home)
    assert "3 payments" in out.stdout
    rows = list(csv.DictReader(batch.open(encoding="utf-8")))
    sealed = {ln["producer_id"]: ln["payable_minor"]
              for ln in Ledger(final.home).final(PERIOD)["settlement"]["lines"]}
    assert {r["producer_id"]: int(r["amount"]) for r in rows} == sealed

    again = pahna_cli("payments", "export", "--period", PERIOD, *home, check=False)
    assert again.returncode == 65 and "for payment again (it was exported)" in again.stderr
    void = pahna_cli("settle", "void", "--period", PERIOD, "--reason", "x", *home, check=False)
    assert void.returncode == 65 and "exported for payment" in void.stderr

    wrong = tmp_path / "wrong.csv"
    bank_file(wrong, [{**rows[0], "amount": str(int(rows[0]["amount"]) + 1)}], {})
    refused = pahna_cli("payments", "confirm", str(wrong), *home, check=False)
    assert refused.returncode == 65 and "the bank confirms" in refused.stderr

    first = bank_file(tmp_path / "bank-1.csv", rows, {"teh-news": "rejected"})
    assert "lines still open or rejected" in pahna_cli("payments", "confirm", str(first),
                                                      *home).stdout
    status = json.loads(pahna_cli("settle", "status", "--period", PERIOD, "--json",
                                  *home).stdout)
    (revision,) = status["revisions"]
    assert status["status"] == "final" and revision["exported"] and not revision["paid"]
    assert revision["rejected_lines"] == [f"PAHNA-{PERIOD}-R1-teh-news"]
    flip = bank_file(tmp_path / "bank-2.csv", rows, {})  # rejected -> paid: never
    refused = pahna_cli("payments", "confirm", str(flip), *home, check=False)
    assert refused.returncode == 65 and "a confirmed line never changes" in refused.stderr
    assert pahna_cli("payments", "confirm", str(first), *home).returncode == 0  # idempotent


def test_all_lines_paid_closes_the_revision_and_a_paid_one_is_never_exported(
        final: Workspace, pahna_cli: CliRunner, tmp_path: Path) -> None:
    home = ["--home", str(final.home)]
    batch = tmp_path / "batch.csv"
    pahna_cli("payments", "export", "--period", PERIOD, "--out", str(batch), *home)
    rows = list(csv.DictReader(batch.open(encoding="utf-8")))
    confirmed = pahna_cli("payments", "confirm", str(bank_file(tmp_path / "b.csv", rows, {})),
                          *home)
    assert "paid in full" in confirmed.stdout
    assert Ledger(final.home).status(PERIOD) == "paid"
    paid = pahna_cli("payments", "export", "--period", PERIOD, *home, check=False)
    assert paid.returncode == 65 and "for payment again (it was paid)" in paid.stderr


def test_a_paid_revision_is_not_exported_and_an_inactive_producer_not_paid(
        final: Workspace, pahna_cli: CliRunner, tmp_path: Path) -> None:
    home = ["--home", str(final.home)]
    with Session(open_registry(final.registry_url)) as session:
        session.execute(update(ProducerRow).where(ProducerRow.id == "qom-tv")
                        .values(status="suspended"))
        session.commit()
    refused = pahna_cli("payments", "export", "--period", PERIOD, *home, check=False)
    assert refused.returncode == 65 and "qom-tv is suspended" in refused.stderr
    assert not list((final.home / "ledger" / PERIOD).glob("exported-*"))
    pahna_cli("settle", "pay", "--period", PERIOD, "--reference", "BATCH-9", *home)
    paid = pahna_cli("payments", "export", "--period", PERIOD, *home, check=False)
    assert paid.returncode == 65 and "for payment again (it was paid)" in paid.stderr
    events = [e["attempt"] for e in Ledger(final.home).events() if e["action"] == "refused"]
    assert events == ["payments export", "exporting revision 1 for payment again (it was paid)"]
