"""`pahna grants ...` end to end through the real command: the demo round, its OCDS
export validated offline, a broken file refused, tampering found by `verify`, a call
imported from TOML, and an accepted milestone's tranche in the next payment batch, paid
when the bank confirms its line (a rejected line: tests/unit/grants/test_payments.py)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from sqlalchemy import text
from tests.e2e.test_settle_cli import PERIOD, TARIFF, build_month

from pahna.grants import process
from pahna.grants.board import load_board
from pahna.grants.history import Author
from pahna.grants.models import Report
from pahna.grants.payments import due_tranches, record_batched
from pahna.registry.database import open_registry
from pahna.workspace import Workspace

CALL_FILE = """\
[call]
id = "qom-games"
programme_id = "qom-it-1404"
title = "Educational games for Qom's schools"
opens = "1405-01-01"
closes = "1405-01-25"
max_award_rial = 3000000000
eligible = ["student_team"]
reviewers = ["rev-hosseini", "rev-karimi", "rev-moradi"]
criteria = [{id = "impact", name = "Impact", weight = 60},
            {id = "cost", name = "Value for money", weight = 40}]
"""


def test_demo_export_validate_verify(pahna_cli, tmp_path: Path) -> None:
    home = ["--home", str(tmp_path / "home")]
    assert "4 awards" in pahna_cli("grants", "demo", *home).stdout
    again = pahna_cli("grants", "demo", *home, check=False)
    assert again.returncode == 65 and "already holds records" in again.stderr
    out = tmp_path / "open-data"
    assert "34 releases" in pahna_cli("grants", "export", "--to", str(out), *home).stdout
    for name in ("releases.json", "records.json", "months/1404-07.json"):
        assert "a valid" in pahna_cli("grants", "validate", str(out / name)).stdout
    releases = json.loads((out / "releases.json").read_text(encoding="utf-8"))
    month = json.loads((out / "months/1404-07.json").read_text(encoding="utf-8"))
    assert 0 < len(month["releases"]) < len(releases["releases"])
    awards = list(csv.DictReader((out / "awards.csv").open(encoding="utf-8")))
    assert sorted(int(a["Amount Awarded"]) for a in awards) == [
        1_200_000_000, 4_800_000_000, 4_800_000_000, 6_500_000_000]

    releases["releases"][0]["tag"] = ["granted"]
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(releases), encoding="utf-8")
    refused = pahna_cli("grants", "validate", str(broken), check=False)
    assert refused.returncode == 65 and "releases/0/tag/0" in refused.stderr

    assert "verifies" in pahna_cli("grants", "verify", *home).stdout
    engine = open_registry(f"sqlite:///{tmp_path / 'home' / 'registry.sqlite'}")
    with engine.begin() as connection:
        connection.execute(text("UPDATE grant_revisions SET body = replace(body, "
                                "'6500000000', '9500000000') WHERE kind = 'award'"))
    tampered = pahna_cli("grants", "verify", *home, check=False)
    assert tampered.returncode == 65 and "award award-rayan-soft r2" in tampered.stderr


APPLICANTS = (
    "id,kind,name,name_fa,province,zone,registration_number,size,university,students,owner,"
    "iban,account\n"
    "sina-web,organisation,Sina Web,سینا وب,IR-25,qom-pardisan,14007654321,micro,,,Ali Sina,"
    "IR59 0550 0000 0000 0000 3012 34,sina\n"
    "team-hawzeh,student_team,Hawzeh Apps Team,,IR-25,,,,Baqir al-Olum University,6,"
    "Zahra Amini,,\n")


def test_an_empty_board_exports_nothing(pahna_cli, tmp_path: Path) -> None:
    pahna_cli("init", "--home", str(tmp_path / "home"))
    refused = pahna_cli("grants", "export", "--to", str(tmp_path / "out"), "--home",
                        str(tmp_path / "home"), check=False)
    assert refused.returncode == 65 and "no release yet" in refused.stderr
    assert not (tmp_path / "out").exists()


def test_import_applicants(pahna_cli, tmp_path: Path) -> None:
    home = ["--home", str(tmp_path / "home")]
    pahna_cli("grants", "demo", *home)
    people = tmp_path / "applicants.csv"
    people.write_text(APPLICANTS, encoding="utf-8")
    assert "2 applicants" in pahna_cli("grants", "import-applicants", str(people), *home).stdout
    assert "0 applicants" in pahna_cli("grants", "import-applicants", str(people), *home).stdout
    people.write_text(APPLICANTS.replace("IR59 0550", "IR58 0550"), encoding="utf-8")
    refused = pahna_cli("grants", "import-applicants", str(people), *home, check=False)
    assert refused.returncode == 65 and "applicants.csv:2: IBAN" in refused.stderr
    people.write_text(APPLICANTS.replace(",6,", ",,"), encoding="utf-8")
    refused = pahna_cli("grants", "import-applicants", str(people), *home, check=False)
    assert refused.returncode == 65 and "applicants.csv:3:" in refused.stderr
    people.write_text(APPLICANTS.replace("IR-25,qom-pardisan", "IR-23,qom-pardisan"),
                      encoding="utf-8")
    refused = pahna_cli("grants", "import-applicants", str(people), *home, check=False)
    assert refused.returncode == 65 and "zone 'qom-pardisan' is in IR-25" in refused.stderr


def test_import_a_call(pahna_cli, tmp_path: Path) -> None:
    home = ["--home", str(tmp_path / "home")]
    pahna_cli("grants", "demo", *home)
    call = tmp_path / "call.toml"
    call.write_text(CALL_FILE, encoding="utf-8")
    assert "revision 1" in pahna_cli("grants", "import-call", str(call), *home).stdout
    call.write_text(CALL_FILE.replace("3000000000", "2500000000"), encoding="utf-8")
    assert "revision 2" in pahna_cli("grants", "import-call", str(call), *home).stdout
    call.write_text(CALL_FILE.replace("weight = 40", "weight = 50"), encoding="utf-8")
    refused = pahna_cli("grants", "import-call", str(call), *home, check=False)
    assert refused.returncode == 65 and "add up to 100" in refused.stderr


def test_an_accepted_tranche_goes_into_the_next_payment_batch(
        workspace: Workspace, pahna_cli, tmp_path: Path) -> None:
    build_month(workspace)
    home = ["--home", str(workspace.home)]
    tariff = tmp_path / "tariff.toml"
    tariff.write_text(TARIFF, encoding="utf-8")
    pahna_cli("tariff", "import", str(tariff), *home)
    pahna_cli("settle", "finalize", "--period", PERIOD, *home)
    pahna_cli("grants", "demo", *home)
    engine = open_registry(workspace.registry_url)
    key = process.report_id("agr-rayan-soft", "m3")
    process.put_report(engine, Report(id=key, agreement_id="agr-rayan-soft",
                                      milestone_id="m3", text="Roll-out done"), Author())
    process.decide_report(engine, key, True, "all municipalities live", Author("web:qom"))

    # an export that stopped after tying the tranche to its batch (R9, never written):
    # the tranche is not lost, the next batch carries it
    record_batched(engine, due_tranches(load_board(engine)), f"PAHNA-{PERIOD}-R9", Author())
    batch = tmp_path / "batch.csv"
    out = pahna_cli("payments", "export", "--period", PERIOD, "--out", str(batch), *home)
    assert "(1 grant tranches)" in out.stdout
    every = list(csv.DictReader(batch.open(encoding="utf-8")))
    rows = {r["reference"]: r for r in every}
    tranche = rows[f"PAHNA-{PERIOD}-R1-pay-agr-rayan-soft-m3"]
    assert (tranche["producer_id"], tranche["iban"], tranche["amount"]) == (
        "rayan-soft", "IR150170000000000000104404", str(6_500_000_000 - 2 * 2_166_666_666))
    assert sum(r["reference"].count("-pay-") for r in rows.values()) == 1  # only the new one
    again = pahna_cli("payments", "export", "--period", PERIOD, *home, check=False)
    assert again.returncode == 65  # a revision is exported once: the tranche batched once
    assert [p.status for p in load_board(engine).payments("agr-rayan-soft")] == [
        "batched", "batched", "batched"]

    bank = tmp_path / "bank.csv"
    with bank.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("reference", "amount", "status"))
        writer.writerows((r["reference"], r["amount"], "paid") for r in every)
    assert "paid in full" in pahna_cli("payments", "confirm", str(bank), *home).stdout
    payment = load_board(engine).payments("agr-rayan-soft")
    assert [(p.milestone_id, p.status, p.batch) for p in payment] == [
        ("m1", "batched", "GRANTS-DEMO-1"), ("m2", "batched", "GRANTS-DEMO-1"),
        ("m3", "paid", f"PAHNA-{PERIOD}-R1")]
    assert "paid in full" in pahna_cli("payments", "confirm", str(bank), *home).stdout
    assert load_board(engine).entry("payment", payment[2].id).last.revision == 3  # R9, R1, paid

