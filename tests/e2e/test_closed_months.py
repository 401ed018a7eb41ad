"""A final month stays as sealed: the registry refuses edits reaching into it through every
door (CLI, CSV import, API, form), and `verify`, `explain` and usage replay the final from
its own basis whatever the registry holds later, even edits no door allows."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session
from tests.conftest import CliRunner
from tests.unit.web.conftest import PERIOD, build_workspace, log_in

from pahna.calendar import TZDATA_VERSION, JalaliMonth
from pahna.ledger.book import Ledger
from pahna.ledger.seal import Seal
from pahna.parties import Producer
from pahna.pipeline import explain, finalize, usage_for_period, verify
from pahna.registry.audit import audit_log
from pahna.registry.claimbook import ClaimSpec
from pahna.registry.claims import add_claims, list_claims
from pahna.registry.database import open_registry
from pahna.registry.models import ClaimRow, ProducerRow
from pahna.registry.producers import add_producer
from pahna.settle.document import canonical_bytes
from pahna.web.app import create_app
from pahna.web.auth import CSRF_COOKIE, CSRF_HEADER
from pahna.workspace import Workspace

pytestmark = pytest.mark.slow
REFUSED = "reaches into 1404-08, which is final"


@pytest.fixture
def final(tmp_path: Path) -> Workspace:
    workspace = build_workspace(tmp_path / "home")
    finalize(workspace, PERIOD)
    return workspace


def test_every_door_refuses_a_registry_edit_reaching_into_a_final_month(
        final: Workspace, pahna_cli: CliRunner, tmp_path: Path) -> None:
    """Regression: after 1404-08 was final, ending a claim on 1404-08-02 and adding a
    claim from 1404-08-01 were accepted through the CLI, a CSV import, the API and the
    form, and `settle verify` then failed on every amount."""
    home = ["--home", str(final.home)]
    claim_id = str(list_claims(open_registry(final.registry_url))[0].id)
    claims = tmp_path / "claims.csv"
    claims.write_text("producer_id,kind,value,valid_from,valid_to\n"
                      "qom-tv,prefix,10.70.0.0/16,1404-08-01,\n", encoding="utf-8")
    cidr = tmp_path / "ir.cidr"
    cidr.write_text("5.0.0.0/8\n", encoding="utf-8")
    for attempt in (("registry", "end-claim", claim_id, "--at", "1404-08-02"),
                    ("registry", "add-claim", "qom-tv", "10.71.0.0/16", "--from", "1404-08-01"),
                    ("registry", "import", str(claims)),
                    ("registry", "add-metering", "qom-tv", "10.0.0.1", "3", "--direction",
                     "egress", "--from", "1404-08-01"),
                    ("domestic", "import", str(cidr), "--from", "1404-08-10")):
        result = pahna_cli(*attempt, *home, check=False)
        assert result.returncode == 65 and REFUSED in result.stderr, attempt
    assert "claims.csv:2: adding prefix 10.70.0.0/16" in pahna_cli(
        "registry", "import", str(claims), *home, check=False).stderr

    with TestClient(create_app(final), raise_server_exceptions=False) as client:
        log_in(client, "minister")
        csrf = client.cookies.get(CSRF_COOKIE, "")
        api = client.post("/api/producers/qom-tv/claims", headers={CSRF_HEADER: csrf},
                          json={"prefix": "10.72.0.0/24", "valid_from": "1404-08"})
        assert api.status_code == 409 and REFUSED in api.json()["error"]["message"]
        form = client.post("/registry/claims", data={
            "producer_id": "qom-tv", "prefix": "10.73.0.0/24", "valid_from": "1404-08",
            "csrf_token": csrf})
        assert form.status_code == 400 and REFUSED in form.text
        later = client.post("/api/producers/qom-tv/claims", headers={CSRF_HEADER: csrf},
                            json={"prefix": "10.72.0.0/24", "valid_from": "1404-09"})
        assert later.status_code == 201  # dated after the final month: accepted
    pahna_cli("registry", "add-claim", "qom-tv", "10.71.0.0/16", "--from", "1404-09-01", *home)

    refusals = [e for e in audit_log(open_registry(final.registry_url))
                if e.action == "registry.refused"]
    assert [e.actor for e in refusals] == ["cli"] * 6 + ["web:minister"] * 2
    assert "r1 verifies" in pahna_cli("settle", "verify", "--period", PERIOD, *home).stdout
    pahna_cli("settle", "void", "--period", PERIOD, "--reason", "claims to correct", *home)
    pahna_cli("registry", "add-claim", "qom-tv", "10.75.0.0/16", "--from", "1404-08-01", *home)
    assert "final revision 2" in pahna_cli("settle", "finalize", "--period", PERIOD,
                                           *home).stdout  # void and reissue
    refused = pahna_cli("registry", "add-claim", "qom-tv", "10.74.0.0/16", "--from",
                        "1404-08-01", *home, check=False)
    assert refused.returncode == 65 and "which is final (revision 2)" in refused.stderr


def test_a_final_replays_from_its_basis_whatever_the_registry_holds_later(
        final: Workspace) -> None:
    """verify, explain and usage of a final month read the rules, producers and tariff it
    sealed, not today's registry (which recomputed all amounts differently before)."""
    record = Ledger(final.home).final(PERIOD)
    assert record["seal"]["inputs"]["tzdata"] == TZDATA_VERSION
    assert record["seal"]["inputs"]["basis_sha256"]
    assert {p["id"] for p in record["basis"]["producers"]} == {"qom-tv", "qom-univ",
                                                               "teh-news"}
    group = ("producer_id", "traffic_class", "bin_start_ms")
    usage = usage_for_period(final, PERIOD, group_by=group)
    _, days, flows = explain(final, PERIOD, "qom-tv")
    engine = open_registry(final.registry_url)
    # what the doors allow, dated after the final month...
    add_producer(engine, Producer("qom-new", "New", "", "IR-25", "student_startup"))
    add_claims(engine, [ClaimSpec("qom-new", "prefix", "10.80.0.0/16",
                                  JalaliMonth(1404, 9).start_ms)])
    (final.tariffs_dir / "t.toml").unlink()  # even the tariff file is gone
    # ...and what none allows: SQL straight into the tables
    with Session(engine) as session:
        session.execute(update(ClaimRow).values(valid_from_ms=JalaliMonth(1405, 1).start_ms))
        session.execute(update(ProducerRow).values(province="IR-23", type="student_startup",
                                                   status="suspended"))
        session.commit()
    problems, notes = verify(final, PERIOD)
    assert problems == []
    assert any(note.startswith("registry_version was") for note in notes)
    assert usage_for_period(final, PERIOD, group_by=group).equals(usage)
    settlement, days_now, flows_now = explain(final, PERIOD, "qom-tv")
    assert days_now == days and days and flows_now.equals(flows) and flows.num_rows
    assert settlement.line("qom-tv").status == "active"  # type: ignore[union-attr]


def test_a_final_sealed_before_finals_kept_their_basis_still_verifies(
        final: Workspace) -> None:
    """A final written by the earlier format (no basis, no tzdata, statement lines without
    status and balances) replays from today's registry and its sealed tariff, compared on
    the fields it sealed."""
    path = final.home / "ledger" / PERIOD / "final-r1.json"
    record = json.loads(path.read_text(encoding="utf-8"))
    del record["basis"]
    for key in ("basis_sha256", "tzdata"):
        del record["seal"]["inputs"][key]
    for line in record["settlement"]["lines"]:
        for key in ("status", "carried", "carried_minor", "balance_minor",
                    "carried_out_minor"):
            del line[key]
    seal = Seal(record["seal"]["inputs"],
                hashlib.sha256(canonical_bytes(record["settlement"])).hexdigest())
    record["seal"] = seal.record()
    path.chmod(0o644)
    path.write_text(json.dumps(record), encoding="utf-8")
    problems, notes = verify(final, PERIOD)
    assert problems == [] and any(n.startswith("tzdata was None") for n in notes)
    assert explain(final, PERIOD, "qom-tv")[1]
