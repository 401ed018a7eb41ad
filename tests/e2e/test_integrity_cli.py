"""Integrity end to end through the `pahna` command: a generated month with one producer
inflated by a flat, machine-like pull settles with that producer's line held and the
pool shared as the tariff says; a data-centre client's bytes are excluded by the hosting
list; the hold is released and paid in the next payment batch; verify passes before and
after; a tampered hosting list makes verify fail and say so."""

from __future__ import annotations

import csv
import json
import os
from fractions import Fraction
from pathlib import Path

import pytest
from tests.conftest import CliRunner
from tests.inflated_month import BOT_BYTES, HOSTING, INFLATED, TARIFF, give_ibans, inflate
from tests.unit.web.conftest import PERIOD, build_workspace

from pahna.ledger.book import Ledger
from pahna.workspace import Workspace

pytestmark = pytest.mark.slow

@pytest.fixture
def month(tmp_path: Path, pahna_cli: CliRunner) -> Workspace:
    """Drafted, inflated; the integrity tariff and the hosting list imported by command."""
    workspace = build_workspace(tmp_path / "home")
    home = ["--home", str(workspace.home)]
    give_ibans(workspace)
    inflate(workspace)
    (tmp_path / "t2.toml").write_text(TARIFF, encoding="utf-8")
    pahna_cli("tariff", "import", str(tmp_path / "t2.toml"), *home)
    (tmp_path / "hosting.txt").write_text(HOSTING, encoding="utf-8")
    pahna_cli("integrity", "hosting", "import", str(tmp_path / "hosting.txt"),
              "--from", "1404-01-01", *home)
    return workspace


def bank_file(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("reference", "amount", "status"))
        for row in rows:
            writer.writerow((row["reference"], row["amount"], "paid"))
    return path


def test_inflated_producer_held_released_paid_and_verified(
        month: Workspace, pahna_cli: CliRunner, tmp_path: Path) -> None:
    home = ["--home", str(month.home)]
    pahna_cli("settle", "finalize", "--period", PERIOD, *home)
    record = Ledger(month.home).final(PERIOD)
    lines = {ln["producer_id"]: ln for ln in record["settlement"]["lines"]}

    # held: the inflated producer alone, with the figures that decided it
    assert [pid for pid, ln in lines.items() if ln.get("holds")] == [INFLATED]
    (hold,) = lines[INFLATED]["holds"]
    assert hold["reason"] == "machine_share_above" and hold["threshold"] == "0.3"
    assert 0.45 < float(hold["figure"]) < 0.55  # half of what it served
    # excluded: the bots' bytes in the data centre, before pricing
    (excluded,) = lines["teh-news"]["exclusions"]
    assert (excluded["reason"], excluded["bytes"]) == ("hosting_clients", BOT_BYTES)
    # the pool is shared as the tariff says: proportional to the claims, held or not
    claims = {pid: Fraction(ln["claim_minor"]) for pid, ln in lines.items()}
    total = sum(claims.values())
    assert sum(ln["amount_minor"] for ln in lines.values()) == min(5_000_000_000, total)
    for pid, ln in lines.items():
        share = claims[pid] * min(1, Fraction(5_000_000_000) / total)
        assert abs(ln["amount_minor"] - share) <= 1

    pages = [p.read_text(encoding="utf-8") for p in
             (month.statements_dir(PERIOD) / "final-r1").rglob("*.html") if INFLATED in str(p)]
    assert pages and all("held for review" in page for page in pages)
    review = json.loads(pahna_cli("integrity", "--period", PERIOD, "--json", *home).stdout)
    assert review["hold_states"] == {INFLATED: "held"}
    assert review["integrity"]["signals"][INFLATED]["machine_share"] == float(hold["figure"])
    assert "verifies" in pahna_cli("settle", "verify", "--period", PERIOD, *home).stdout
    explained = json.loads(pahna_cli("explain", "--producer", INFLATED, "--period", PERIOD,
                                     "--json", *home).stdout)["integrity"]
    assert explained["holds"][0]["reason"] == "machine_share_above"
    assert explained["signals"]["machine_share"] == float(hold["figure"])
    assert "z " in pahna_cli("explain", "--producer", INFLATED, "--period", PERIOD,
                             *home).stdout

    first = tmp_path / "batch-1.csv"
    pahna_cli("payments", "export", "--period", PERIOD, "--out", str(first), *home)
    rows = list(csv.DictReader(first.open(encoding="utf-8")))
    assert sorted(r["producer_id"] for r in rows) == ["qom-univ", "teh-news"]
    again = pahna_cli("payments", "export", "--period", PERIOD, *home, check=False)
    assert again.returncode == 65  # nothing released yet
    out = pahna_cli("payments", "confirm", str(bank_file(tmp_path / "bank-1.csv", rows)),
                    *home).stdout
    assert "lines still open" in out  # the held line is not paid yet

    pahna_cli("integrity", "release", "--period", PERIOD, "--producer", INFLATED,
              "--reason", "checked with the ISP: a real live event", "--actor", "minister",
              *home)
    twice = pahna_cli("integrity", "confirm", "--period", PERIOD, "--producer", INFLATED,
                      "--reason", "no", *home, check=False)
    assert twice.returncode != 0 and "already released" in twice.stderr
    second = tmp_path / "batch-2.csv"
    pahna_cli("payments", "export", "--period", PERIOD, "--out", str(second), *home)
    (paid,) = list(csv.DictReader(second.open(encoding="utf-8")))
    assert paid["producer_id"] == INFLATED
    assert int(paid["amount"]) == lines[INFLATED]["payable_minor"] > 0
    out = pahna_cli("payments", "confirm", str(bank_file(tmp_path / "bank-2.csv", [paid])),
                    *home).stdout
    assert "paid in full" in out
    events = [e["action"] for e in Ledger(month.home).events()]
    assert "hold release" in events
    assert "verifies" in pahna_cli("settle", "verify", "--period", PERIOD, *home).stdout

    sealed = month.home / "integrity" / "hosting" / "v1.json"
    os.chmod(sealed, 0o644)
    data = json.loads(sealed.read_text(encoding="utf-8"))
    data["prefixes"] = ["198.51.100.0/24"]
    sealed.write_text(json.dumps(data), encoding="utf-8")
    tampered = pahna_cli("settle", "verify", "--period", PERIOD, *home, check=False)
    assert tampered.returncode == 65
    assert "hosting list v1 was changed after finalizing" in tampered.stderr
