"""The review queue and holds in the portal: reviewers see the evidence and decide once;
a producer sees its own hold; the public page shows only totals."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.inflated_month import INFLATED, inflated_final
from tests.unit.web.conftest import PERIOD, log_in

from pahna.ledger.book import Ledger
from pahna.web.app import create_app
from pahna.web.auth import CSRF_COOKIE, LANG_COOKIE
from pahna.workspace import Workspace


@pytest.fixture(scope="module")
def held(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return inflated_final(tmp_path_factory.mktemp("held") / "home")


@pytest.fixture
def portal(held: Workspace) -> Iterator[TestClient]:
    with TestClient(create_app(held), raise_server_exceptions=False) as client:
        yield client


def as_user(client: TestClient, username: str) -> TestClient:
    log_in(client, username)
    return client


def decide(client: TestClient, decision: str, reason: str = "looked at the logs"):  # type: ignore[no-untyped-def]
    return client.post(f"/integrity/{PERIOD}/{INFLATED}", follow_redirects=False, data={
        "decision": decision, "reason": reason,
        "csrf_token": client.cookies.get(CSRF_COOKIE, "")})


def test_the_queue_shows_the_held_line_with_its_evidence(portal: TestClient) -> None:
    page = as_user(portal, "audit").get("/integrity").text
    assert f'id="hold-{PERIOD}-{INFLATED}" data-state="held"' in page
    assert "machine_share_above" in page and "decision-form" in page
    assert page.count('class="hold-reason"') == 1  # only the held producer is queued


@pytest.mark.parametrize(("lang", "caption", "six"), [
    ("en", "Share of each hour of the day (Tehran)", ">6<"),
    ("fa", "سهم هر ساعت از روز (به وقت تهران)", ">۶<")])
def test_the_queue_draws_the_profile_and_the_client_networks(
        portal: TestClient, lang: str, caption: str, six: str) -> None:
    portal.cookies.set(LANG_COOKIE, lang)
    item = as_user(portal, "audit").get("/integrity").text.split(
        f'id="hold-{PERIOD}-{INFLATED}"')[1]
    assert caption in item and six in item  # the hour axis, in the language's digits
    assert item.count('<polyline class="own"') == item.count('<polyline class="nation"') == 2
    # the pull went to two /24s, as many bytes as the producer's real traffic: the two
    # largest networks, about a quarter of its bytes each
    bars = re.findall(r'<g class="network-bar"><text[^>]*>([^<]+)</text>.*?>([0-9.۰-۹٫]+)%<',
                      item)
    assert {label for label, _ in bars[:2]} == {"2.176.200.0/24", "2.176.201.0/24"}
    if lang == "en":
        assert all(20 < float(share) < 30 for _, share in bars[:2])


def test_a_producer_sees_its_own_hold_and_no_one_elses(portal: TestClient,
                                                      held: Workspace) -> None:
    tv = as_user(portal, "tv")
    assert 'id="holds" data-state="held"' in tv.get(f"/producers/{INFLATED}").text
    assert tv.get("/integrity").status_code == 403
    with TestClient(create_app(held), raise_server_exceptions=False) as other:
        assert 'id="holds"' not in as_user(other, "uni").get("/producers/qom-univ").text


def test_the_public_page_shows_totals_only(portal: TestClient) -> None:
    page = portal.get(f"/public?period={PERIOD}").text
    assert 'id="kpi-excluded"' in page and 'id="kpi-held"' in page
    assert "machine_share" not in page and "hold-reason" not in page


def test_an_officer_cannot_decide(portal: TestClient) -> None:
    assert decide(as_user(portal, "qom"), "release").status_code == 403


def test_a_reviewer_decides_once_and_the_ledger_logs_it(tmp_path: Path) -> None:
    workspace = inflated_final(tmp_path / "home")
    with TestClient(create_app(workspace), raise_server_exceptions=False) as client:
        auditor = as_user(client, "audit")
        assert decide(auditor, "release", "").status_code == 422  # a reason is required
        assert decide(auditor, "release").status_code == 303
        page = auditor.get("/integrity").text
        assert f'id="hold-{PERIOD}-{INFLATED}" data-state="released"' in page
        assert decide(auditor, "confirm").status_code == 409
    events = [e for e in Ledger(workspace.home).events() if e["action"] == "hold release"]
    assert [(e["producer_id"], e["actor"]) for e in events] == [(INFLATED, "web:audit")]


def test_a_producer_answers_its_hold_by_dispute_and_the_reviewer_reads_it(
        tmp_path: Path) -> None:
    workspace = inflated_final(tmp_path / "home")
    message = "A live broadcast of the Qom book fair, all month"
    with TestClient(create_app(workspace), raise_server_exceptions=False) as client:
        tv = as_user(client, "tv")
        filed = tv.post(f"/api/producers/{INFLATED}/disputes", json={
            "period": PERIOD, "message": message},
            headers={"X-CSRF-Token": tv.cookies.get(CSRF_COOKIE, "")})
        assert filed.status_code == 201, filed.text
        with TestClient(create_app(workspace), raise_server_exceptions=False) as other:
            # a producer whose line is not held files a dispute: no answer to a hold
            uni = as_user(other, "uni")
            assert uni.post("/api/producers/qom-univ/disputes", json={
                "period": PERIOD, "message": "our figures"}, headers={
                "X-CSRF-Token": uni.cookies.get(CSRF_COOKIE, "")}).status_code == 201
        with TestClient(create_app(workspace), raise_server_exceptions=False) as review:
            item = as_user(review, "audit").get("/integrity").text.split(
                f'id="hold-{PERIOD}-{INFLATED}"')[1]
    answers = [e for e in Ledger(workspace.home).events() if e["action"] == "hold answer"]
    assert [(e["producer_id"], e["dispute_id"], e["message"], e["revision"])
            for e in answers] == [(INFLATED, filed.json()["id"], message, 1)]
    assert f'class="hold-answer" data-dispute="{filed.json()["id"]}"' in item
    assert message in item
