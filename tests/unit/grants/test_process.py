"""The process's rules: windows, eligibility, zones, recusal, amounts, tranches."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine

from pahna.errors import GrantRuleError
from pahna.grants import process
from pahna.grants.board import load_board
from pahna.grants.demo import CRITERIA, DAY_MS, run_grants_demo
from pahna.grants.documents import DocumentStore
from pahna.grants.history import Author
from pahna.grants.models import (
    Agreement,
    Application,
    Award,
    Call,
    Declaration,
    Milestone,
    Score,
)
from pahna.grants.ranking import rank_call
from pahna.registry.database import open_registry

NOW = 1_790_000_000_000


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = open_registry(f"sqlite:///{tmp_path / 'r.sqlite'}")
    run_grants_demo(engine, DocumentStore(tmp_path / "documents"))
    process.put_call(engine, Call(
        id="open-call", programme_id="qom-it-1404", title="An open call", criteria=CRITERIA,
        opens_ms=NOW - DAY_MS, closes_ms=NOW + 20 * DAY_MS, max_award_rial=1_000_000_000,
        required_documents=(), zone_rule="restricted", zone="qom-pardisan",
        reviewers=("rev-a",)), Author(at_ms=NOW - DAY_MS))
    return engine


def application(applicant: str, amount: int = 500_000_000) -> Application:
    return Application(id=process.application_id("open-call", applicant), call_id="open-call",
                       applicant_id=applicant, requested_rial=amount, summary="s",
                       declarations=process.DECLARATIONS)


def test_a_zone_call_refuses_a_firm_outside_the_zone(engine: Engine) -> None:
    with pytest.raises(GrantRuleError, match="limited to firms in zone qom-pardisan"):
        process.submit(engine, application("rayan-soft"), Author(at_ms=NOW))
    process.submit(engine, application("kavir-data"), Author(at_ms=NOW))


def test_applications_only_inside_the_window_and_under_the_maximum(engine: Engine) -> None:
    with pytest.raises(GrantRuleError, match="does not take applications now"):
        process.submit(engine, application("kavir-data"), Author(at_ms=NOW + 21 * DAY_MS))
    with pytest.raises(GrantRuleError, match="exceeds the call's maximum"):
        process.submit(engine, application("kavir-data", 2_000_000_000), Author(at_ms=NOW))


def test_declarations_are_required(engine: Engine) -> None:
    app = application("kavir-data").model_copy(update={"declarations": ("true_information",)})
    with pytest.raises(GrantRuleError, match="no_double_funding"):
        process.submit(engine, app, Author(at_ms=NOW))


def test_a_recused_reviewer_cannot_score(engine: Engine) -> None:
    app_id = process.application_id("qom-eservices", "kavir-data")
    with pytest.raises(GrantRuleError, match="rev-karimi is recused"):
        process.put_score(engine, Score(id="x", application_id=app_id, reviewer="rev-karimi",
                                        marks={"impact": 1, "team": 1, "cost": 1}), Author())
    with pytest.raises(GrantRuleError, match="not a reviewer"):
        process.put_score(engine, Score(id="y", application_id=app_id, reviewer="rev-a",
                                        marks={"impact": 1, "team": 1, "cost": 1}), Author())


def test_ranking_leaves_the_recused_reviewer_out(engine: Engine) -> None:
    ranked = {r.applicant_id: r for r in rank_call(load_board(engine), "qom-eservices")}
    kavir = ranked["kavir-data"]
    assert kavir.recused == ("rev-karimi",)
    assert set(kavir.reviewer_scores) == {"rev-hosseini", "rev-moradi"}
    # (8·40+7·30+9·30)/10 = 80, (9·40+8·30+8·30)/10 = 84; mean 82, zone bonus 5
    assert kavir.total == 87


def test_no_award_while_the_call_is_open(engine: Engine) -> None:
    process.submit(engine, application("kavir-data"), Author(at_ms=NOW))
    with pytest.raises(GrantRuleError, match="still open"):
        process.put_award(engine, Award(
            id="early", call_id="open-call",
            application_id=process.application_id("open-call", "kavir-data"),
            amount_rial=1, reasons="r"), Author(at_ms=NOW + DAY_MS))


def test_tranches_must_add_up_to_the_value() -> None:
    with pytest.raises(ValidationError, match="add up"):
        Agreement(id="a", award_id="b", value_rial=100, signed_ms=0, milestones=(
            Milestone(id="m1", title="t", due_ms=1, tranche_rial=60),
            Milestone(id="m2", title="t", due_ms=2, tranche_rial=30)))


def test_one_agreement_per_award(engine: Engine) -> None:
    board = load_board(engine)
    held = board.agreement("agr-rayan-soft")
    with pytest.raises(GrantRuleError, match="already has agreement agr-rayan-soft"):
        process.sign(engine, held.model_copy(update={"id": "agr-second"}), Author())


def test_completion_needs_every_milestone_accepted(engine: Engine) -> None:
    with pytest.raises(GrantRuleError, match="every milestone"):
        process.close_agreement(engine, "agr-rayan-soft", True, "done", Author())
    process.close_agreement(engine, "agr-team-qom-univ", False, "pilot failed", Author())
    assert load_board(engine).agreement("agr-team-qom-univ").status == "terminated"


def test_a_recused_reviewer_stays_recused(engine: Engine) -> None:
    app_id = process.application_id("qom-eservices", "kavir-data")
    with pytest.raises(GrantRuleError, match=r"recused from .* for good"):
        process.declare(engine, Declaration(
            id=process.declaration_id(app_id, "rev-karimi"), application_id=app_id,
            reviewer="rev-karimi", conflict=False), Author())


def test_scores_are_final_once_the_call_has_awards(engine: Engine) -> None:
    app_id = process.application_id("qom-eservices", "noor-systems")
    with pytest.raises(GrantRuleError, match="scores are final"):
        process.put_score(engine, Score(id=f"{app_id}:rev-moradi", application_id=app_id,
                                        reviewer="rev-moradi",
                                        marks={"impact": 5, "team": 5, "cost": 5}), Author())
