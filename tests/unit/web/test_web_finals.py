"""Draft -> review -> finalize through the portal; final statements on every view that
shows one, and never a draft on the public page."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from pahna.errors import ImmutableStatementError
from pahna.ledger.book import Ledger
from pahna.ledger.state import period_state
from pahna.pipeline import settle, verify
from pahna.registry.database import open_registry
from pahna.registry.models import AuditRow
from pahna.web.app import create_app
from pahna.workspace import Workspace

PERIOD = "1404-08"
LOWER_TARIFF = ('id = "incentive-test"\nversion = 2\nvalid_from = "1404-01"\n'
                'rate_rial_per_gb = "40000000"\npool_rial = 5000000000\n')


@pytest.fixture
def portal(own_settled: Workspace) -> Iterator[TestClient]:
    with TestClient(create_app(own_settled), raise_server_exceptions=False) as client:
        yield client


PASSWORDS = {"minister": "admin-secret-1", "qom": "officer-secret-1", "uni": "producer-secret-1",
             "audit": "auditor-secret-1"}


def log_in(client: TestClient, username: str) -> None:
    client.cookies.clear()
    client.get("/login")
    response = client.post("/login", data={
        "username": username, "password": PASSWORDS[username], "csrf_token": _csrf(client)},
        follow_redirects=False)
    assert response.status_code == 303, response.text


def _csrf(client: TestClient) -> str:
    return client.cookies.get("pahna_csrf", "")


def _audit(workspace: Workspace) -> list[AuditRow]:
    with Session(open_registry(workspace.registry_url)) as session:
        return list(session.scalars(select(AuditRow).order_by(AuditRow.id)))


def _review_sha(client: TestClient) -> str:
    review = client.get(f"/settlement/review?period={PERIOD}")
    assert review.status_code == 200 and 'id="finalize-form"' in review.text
    return review.text.split('name="draft_sha256" value="')[1].split('"')[0]


def _finalize(client: TestClient) -> None:
    sha = _review_sha(client)
    done = client.post("/settlement/finalize", data={
        "period": PERIOD, "draft_sha256": sha, "csrf_token": _csrf(client)},
        follow_redirects=False)
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"/settlement?period={PERIOD}#state"


def test_admin_reviews_and_finalizes(portal: TestClient, own_settled: Workspace) -> None:
    log_in(portal, "minister")
    page = portal.get(f"/settlement?period={PERIOD}")
    assert 'data-status="draft"' in page.text and 'id="review-link"' in page.text
    assert 'id="finalize-form"' not in page.text  # finalizing needs the review step
    sha = _review_sha(portal)
    assert sha == period_state(own_settled.home, PERIOD).draft_sha256
    no_csrf = portal.post("/settlement/finalize", data={"period": PERIOD,
                                                         "draft_sha256": sha})
    assert no_csrf.status_code == 403 and Ledger(own_settled.home).status(PERIOD) == "draft"
    _finalize(portal)
    state = period_state(own_settled.home, PERIOD)
    assert (state.status, state.revision) == ("final", 1) and state.content_hash
    page = portal.get(f"/settlement?period={PERIOD}")
    assert 'data-status="final"' in page.text and state.content_hash in page.text
    assert 'id="draft-form"' not in page.text and 'id="review-link"' not in page.text
    finalized = [r for r in _audit(own_settled) if r.action == "settlement.finalize"]
    assert [r.actor for r in finalized] == ["web:minister"]
    assert state.content_hash in (finalized[0].after or "")
    assert f'"draft_sha256": "{sha}"' in (finalized[0].after or "")
    sealed = Ledger(own_settled.home).final(PERIOD)["seal"]["settlement_sha256"]
    assert sealed == sha  # what was sealed is byte for byte what was reviewed
    events = [e for e in Ledger(own_settled.home).events() if e["action"] == "finalize"]
    assert [(e["actor"], e["content_hash"]) for e in events] == [
        ("web:minister", state.content_hash)]


def test_finalize_refuses_a_draft_changed_since_review(portal: TestClient,
                                                       own_settled: Workspace) -> None:
    log_in(portal, "minister")
    sha = _review_sha(portal)
    (own_settled.tariffs_dir / "t2.toml").write_text(LOWER_TARIFF, encoding="utf-8")
    portal.post("/settlement/draft", data={"period": PERIOD, "csrf_token": _csrf(portal)})
    stale = portal.post("/settlement/finalize", data={
        "period": PERIOD, "draft_sha256": sha, "csrf_token": _csrf(portal)})
    assert stale.status_code == 409 and "review it again" in stale.text
    assert Ledger(own_settled.home).active_revision(PERIOD) is None


def test_finalize_refuses_a_recomputation_that_differs_from_the_review(
        portal: TestClient, own_settled: Workspace) -> None:
    """Regression: the portal sealed whatever the recomputation gave and only logged
    `matches_draft`. The draft file is unchanged here, but its inputs moved (a new tariff
    version in force) after the review: nothing is sealed, and the refusal is logged."""
    log_in(portal, "minister")
    sha = _review_sha(portal)
    (own_settled.tariffs_dir / "t2.toml").write_text(LOWER_TARIFF, encoding="utf-8")
    refused = portal.post("/settlement/finalize", data={
        "period": PERIOD, "draft_sha256": sha, "csrf_token": _csrf(portal)})
    assert refused.status_code == 409 and "than the draft that was reviewed" in refused.text
    ledger = Ledger(own_settled.home)
    assert ledger.active_revision(PERIOD) is None and ledger.revisions(PERIOD) == []
    assert not (own_settled.statements_dir(PERIOD) / "final-r1").exists()
    assert [r.action for r in _audit(own_settled) if r.action.startswith("settlement.")
            ][-1] == "settlement.refused"
    assert [e["attempt"] for e in ledger.events() if e["action"] == "refused"] == [
        "finalize a reviewed draft"]
    (own_settled.tariffs_dir / "t2.toml").unlink()
    _finalize(portal)  # the same review, once the month recomputes to it again
    assert ledger.final(PERIOD)["seal"]["settlement_sha256"] == sha


@pytest.mark.parametrize("username", ["audit", "qom", "uni"])
def test_only_the_ministry_finalizes(portal: TestClient, own_settled: Workspace,
                                     username: str) -> None:
    sha = period_state(own_settled.home, PERIOD).draft_sha256
    assert sha is not None
    log_in(portal, username)
    refused = portal.post("/settlement/finalize", data={
        "period": PERIOD, "draft_sha256": sha, "csrf_token": _csrf(portal)})
    assert refused.status_code == 403
    assert portal.get(f"/settlement/review?period={PERIOD}").status_code == 403
    assert Ledger(own_settled.home).status(PERIOD) == "draft"
    assert not [r for r in _audit(own_settled) if r.action == "settlement.finalize"]


def _rows(text: str) -> dict[str, int]:
    return {row["producer_id"]: int(row["amount_rial"])
            for row in csv.DictReader(io.StringIO(text))}


def test_public_page_shows_final_figures_only(portal: TestClient,
                                              own_settled: Workspace) -> None:
    draft_csv = (own_settled.statements_dir(PERIOD) / "summary.csv").read_text("utf-8")
    drafted = _rows(draft_csv)
    assert 'id="no-final"' in portal.get("/public").text
    # A later tariff is in force when the ministry finalizes (the draft recomputed and
    # reviewed under it), and an older draft's summary.csv is left lying in
    # statements/PERIOD/: the final pays less than that file says.
    (own_settled.tariffs_dir / "t2.toml").write_text(LOWER_TARIFF, encoding="utf-8")
    log_in(portal, "minister")
    portal.post("/settlement/draft", data={"period": PERIOD, "csrf_token": _csrf(portal)})
    _finalize(portal)
    (own_settled.statements_dir(PERIOD) / "summary.csv").write_text(draft_csv, "utf-8")
    final_csv = (own_settled.statements_dir(PERIOD) / "final-r1" / "summary.csv").read_text(
        "utf-8")
    sealed = _rows(final_csv)
    overview = portal.get("/api/overview").json()  # the ministry's pages read the final too
    assert overview["amount_rial"] == overview["trend"][-1]["amount_rial"] == sum(
        sealed.values())
    portal.cookies.clear()  # the public, logged out
    assert all(sealed[pid] < drafted[pid] for pid in drafted)  # the two really differ
    page = portal.get("/public")
    assert 'id="no-final"' not in page.text and 'data-status="final"' in page.text
    state = period_state(own_settled.home, PERIOD)
    assert state.content_hash and state.content_hash in page.text
    api = portal.get(f"/api/public/{PERIOD}").json()
    assert api["status"] == "final" and api["content_hash"] == state.content_hash
    assert {p["id"]: p["amount_rial"] for p in api["producers"]} == sealed
    assert api["amount_rial"] == sum(sealed.values())
    published = _rows(portal.get(f"/api/public/{PERIOD}/csv").text)
    assert published == sealed and published != drafted
    Ledger(own_settled.home).mark_paid(PERIOD, "batch-1404-08")
    assert portal.get(f"/api/public/{PERIOD}").json()["status"] == "paid"


def test_final_statement_unchanged_after_a_later_draft_attempt(
        portal: TestClient, own_settled: Workspace) -> None:
    log_in(portal, "minister")
    _finalize(portal)
    state = period_state(own_settled.home, PERIOD)
    final_dir = own_settled.statements_dir(PERIOD) / "final-r1"
    before = {str(p): hashlib.sha256(p.read_bytes()).hexdigest()
              for p in final_dir.rglob("*") if p.is_file()}
    statement = portal.get(f"/producers/qom-univ/statements/{PERIOD}")
    (own_settled.tariffs_dir / "t2.toml").write_text(LOWER_TARIFF, encoding="utf-8")
    refused = portal.post("/settlement/draft", data={"period": PERIOD,
                                                     "csrf_token": _csrf(portal)})
    assert refused.status_code == 409 and "is final" in refused.text
    again = portal.post("/settlement/finalize", data={
        "period": PERIOD, "draft_sha256": state.draft_sha256, "csrf_token": _csrf(portal)})
    assert again.status_code == 409
    with pytest.raises(ImmutableStatementError):
        settle(own_settled, PERIOD)
    after = {str(p): hashlib.sha256(p.read_bytes()).hexdigest()
             for p in final_dir.rglob("*") if p.is_file()}
    assert after == before
    assert portal.get(f"/producers/qom-univ/statements/{PERIOD}").content == statement.content
    assert period_state(own_settled.home, PERIOD) == state
    refusals = [e for e in Ledger(own_settled.home).events() if e["action"] == "refused"]
    assert [e["actor"] for e in refusals][:2] == ["web:minister", "web:minister"]
    assert ("web:minister", "settlement.refused") in {(r.actor, r.action)
                                                   for r in _audit(own_settled)}


def test_statement_views_serve_the_final_with_its_hash(portal: TestClient,
                                                       own_settled: Workspace) -> None:
    log_in(portal, "uni")
    draft = portal.get(f"/producers/qom-univ/statements/{PERIOD}")
    assert draft.headers["x-pahna-status"] == "draft"
    assert "x-pahna-content-hash" not in draft.headers
    assert portal.get(f"/api/producers/qom-univ/statements/{PERIOD}").json()["status"] == (
        "draft")
    log_in(portal, "minister")
    _finalize(portal)
    content_hash = period_state(own_settled.home, PERIOD).content_hash
    assert content_hash is not None
    for username in ("uni", "qom"):
        log_in(portal, username)
        html = portal.get(f"/producers/qom-univ/statements/{PERIOD}")
        assert html.headers["x-pahna-status"] == "final-r1"
        assert html.headers["x-pahna-content-hash"] == content_hash
        assert content_hash in html.text
        rows = portal.get(f"/producers/qom-univ/statements/{PERIOD}?format=csv").text
        assert next(csv.DictReader(io.StringIO(rows)))["status"] == "final-r1"
        api = portal.get(f"/api/producers/qom-univ/statements/{PERIOD}").json()
        assert (api["status"], api["revision"], api["content_hash"]) == (
            "final", 1, content_hash)
        page = portal.get(f"/producers/qom-univ?period={PERIOD}")
        assert 'class="badge statement-status"' in page.text


def test_portal_activity_after_finalizing_leaves_the_seal_alone(
        portal: TestClient, own_settled: Workspace) -> None:
    log_in(portal, "minister")
    _finalize(portal)
    log_in(portal, "uni")  # new sessions and a dispute land in the registry's database
    filed = portal.post("/producers/qom-univ/disputes", data={
        "period": PERIOD, "message": "day 3 looks low", "csrf_token": _csrf(portal)})
    assert filed.status_code == 200
    problems, notes = verify(own_settled, PERIOD)
    assert problems == [] and not [n for n in notes if "registry_version" in n]


def test_a_voided_final_is_no_longer_published(portal: TestClient,
                                               own_settled: Workspace) -> None:
    log_in(portal, "minister")
    _finalize(portal)
    Ledger(own_settled.home).void(PERIOD, "wrong tariff", actor="test")
    page = portal.get(f"/settlement?period={PERIOD}")
    assert 'data-status="voided"' in page.text and 'id="review-link"' in page.text
    assert portal.get(f"/producers/qom-univ/statements/{PERIOD}").headers[
        "x-pahna-status"] == "draft"
    portal.cookies.clear()
    assert 'id="no-final"' in portal.get(f"/public?period={PERIOD}").text
    assert portal.get(f"/api/public/{PERIOD}").status_code == 404
    log_in(portal, "minister")  # and reissued through the portal as revision 2
    _finalize(portal)
    assert period_state(own_settled.home, PERIOD).revision == 2
    portal.cookies.clear()
    assert portal.get(f"/api/public/{PERIOD}").json()["revision"] == 2
