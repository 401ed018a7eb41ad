"""Release tags and statuses for the events the demo does not reach: a programme's budget
changed, an award cancelled, an agreement terminated; and the awards CSV's cells."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from pahna.grants import process
from pahna.grants.board import load_board
from pahna.grants.config import GrantSettings
from pahna.grants.demo import run_grants_demo
from pahna.grants.documents import DocumentStore
from pahna.grants.giving import awards_csv
from pahna.grants.history import Author
from pahna.grants.ocds.packages import board_releases
from pahna.registry.database import open_registry

SETTINGS = GrantSettings()


def test_later_events_carry_their_tags(tmp_path: Path) -> None:
    engine = open_registry(f"sqlite:///{tmp_path / 'r.sqlite'}")
    run_grants_demo(engine, DocumentStore(tmp_path / "documents"))
    board = load_board(engine)
    programme = board.programme("qom-it-1404")
    process.put_programme(engine, programme.model_copy(update={"budget_rial": 70_000_000_000}),
                          Author(), "budget raised")
    releases = board_releases(engine, SETTINGS)
    tail = releases[-2:]
    assert sorted(r["ocid"] for r in tail) == ["ocds-pahna0-pardisan-datacentre",
                                                "ocds-pahna0-qom-eservices"]
    assert all(r["tag"] == ["planningUpdate"] and r["planning"]["budget"]["amount"]["amount"]
               == 70_000_000_000 for r in tail)

    award = board.award("award-kavir-cloud")
    process.put_award(engine, award.model_copy(update={"status": "cancelled"}), Author(),
                      "shares an IBAN with another awardee")
    process.close_agreement(engine, "agr-team-qom-univ", False, "pilot failed", Author())
    releases = board_releases(engine, SETTINGS)
    cancelled, terminated = releases[-2:]
    assert cancelled["tag"] == ["awardCancellation"]
    assert [a["status"] for a in cancelled["awards"]] == ["cancelled"]
    assert terminated["tag"] == ["contractTermination"]
    (contract,) = [c for c in terminated["contracts"] if c["id"] == "agr-team-qom-univ"]
    assert contract["status"] == "terminated" and "pilot failed" in contract["description"]


def test_awards_csv_cells_never_start_a_formula(tmp_path: Path) -> None:
    engine = open_registry(f"sqlite:///{tmp_path / 'r.sqlite'}")
    run_grants_demo(engine, DocumentStore(tmp_path / "documents"))
    rayan = load_board(engine).applicant("rayan-soft")
    process.put_applicant(engine, rayan.model_copy(update={
        "name": '=HYPERLINK("http://evil.example","x")'}), Author())
    rows = list(csv.DictReader(io.StringIO(awards_csv(load_board(engine), SETTINGS))))
    names = [r["Recipient Org:Name"] for r in rows]
    assert "'=HYPERLINK(\"http://evil.example\",\"x\")" in names
    assert all(not cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r.values())


def test_amendments_and_cancellations(tmp_path: Path) -> None:
    engine = open_registry(f"sqlite:///{tmp_path / 'r.sqlite'}")
    run_grants_demo(engine, DocumentStore(tmp_path / "documents"))
    board = load_board(engine)
    agreement = board.agreement("agr-kavir-data")
    later = tuple(m.model_copy(update={"due_ms": m.due_ms + 86_400_000})
                  for m in agreement.milestones)
    process.sign(engine, agreement.model_copy(update={"milestones": later}), Author(),
                 "pilot moved a day")
    assert board_releases(engine, SETTINGS)[-1]["tag"] == ["contractAmendment"]
    call = board.call("pardisan-datacentre")
    process.put_call(engine, call.model_copy(update={"status": "cancelled"}), Author(),
                     "the zone's data centre is not built")
    last = board_releases(engine, SETTINGS)[-1]
    assert last["tag"] == ["tenderCancellation"] and last["tender"]["status"] == "cancelled"
    tags = {t for r in board_releases(engine, SETTINGS) for t in r["tag"]}
    assert {"planning", "tender", "tenderUpdate", "award", "awardUpdate", "contract",
            "implementation", "implementationUpdate"} <= tags
