"""The grant board in the portal: public pages and open data, role isolation (applicants,
reviewers, province officers), scores hidden until a call closes, uploads, CSRF and token
scopes. The portal runs on a workspace holding the demo round and one call open now."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.unit.web.grantportal import KAVIR_APP, PDF, RAYAN_APP, build, log_in

from pahna.grants import process
from pahna.grants.board import load_board
from pahna.grants.ocds.schema import problems
from pahna.registry.database import open_registry
from pahna.web.accounts import digest
from pahna.web.app import create_app
from pahna.web.auth import CSRF_COOKIE
from pahna.web.tokens import issue_token, token_id
from pahna.workspace import Workspace, init_workspace, open_workspace


@pytest.fixture(scope="module")
def board_home(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return build(tmp_path_factory.mktemp("grants-web") / "home")


@pytest.fixture
def client(board_home: Workspace) -> Iterator[TestClient]:
    with TestClient(create_app(board_home), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def template_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built once (hashing the accounts' passwords is slow), copied by `own_client`."""
    return build(tmp_path_factory.mktemp("grants-template") / "home").home


@pytest.fixture
def own_client(template_home: Path, tmp_path: Path) -> Iterator[TestClient]:
    """A portal on a workspace of the test's own (for tests that write)."""
    shutil.copytree(template_home, tmp_path / "home")
    with TestClient(create_app(open_workspace(tmp_path / "home")),
                    raise_server_exceptions=False) as test_client:
        yield test_client


def csrf(client: TestClient) -> str:
    return client.cookies.get(CSRF_COOKIE, "")


def apply(client: TestClient, call: str = "qom-open", content: bytes = PDF,
          name: str = "proposal.pdf", amount: int = 900_000_000):  # type: ignore[no-untyped-def]
    return client.post(f"/grants/calls/{call}/apply", data={
        "csrf_token": csrf(client), "requested_rial": str(amount), "summary": "Our plan",
        "declarations": ["true_information", "no_double_funding"]},
        files={"proposal": (name, content, "application/pdf")}, follow_redirects=False)


# -- public -----------------------------------------------------------------------------
def test_the_public_board_shows_each_step(client: TestClient) -> None:
    persian = client.get("/grants")
    assert persian.status_code == 200
    assert 'id="students-funded">۵<' in persian.text and "۶٬۵۰۰٬۰۰۰٬۰۰۰" in persian.text
    assert "تنها یک متقاضی" in persian.text and "پذیرفته" in persian.text
    client.cookies.set("pahna_lang", "en")
    html = client.get("/grants").text
    for text in ("Open now", "6,500,000,000", "GRANTS-DEMO-1", 'data-code="short_window"',
                 'data-code="reviewer_outlier"', 'data-status="accepted"',
                 'data-status="rejected"', 'id="students-funded">5<', "IT grant board"):
        assert text in html, text
    assert "new-call" not in html  # no management form for the public


def test_open_data_validates(client: TestClient) -> None:
    releases = client.get("/api/grants/releases.json").json()
    records = client.get("/api/grants/records.json").json()
    assert problems(releases, "release-package") == []
    assert problems(records, "record-package") == []
    month = client.get("/api/grants/months/1404-07.json")
    assert month.status_code == 200 and problems(month.json(), "release-package") == []
    assert client.get("/api/grants/months/1399-01.json").json()["error"]["status"] == 404
    assert client.get("/api/grants/awards.csv").text.startswith("Identifier,Title")
    codes = {f["code"] for f in client.get("/api/grants/flags").json()}
    assert "single_applicant" in codes


def test_the_public_gets_no_application(client: TestClient) -> None:
    response = client.get(f"/grants/applications/{RAYAN_APP}", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


# -- applicants -------------------------------------------------------------------------
def test_an_applicant_reads_only_its_own(client: TestClient) -> None:
    log_in(client, "rayan")
    assert client.get(f"/grants/applications/{RAYAN_APP}").status_code == 200
    theirs = client.get(f"/grants/applications/{KAVIR_APP}")
    missing = client.get("/grants/applications/app-000000000000")
    assert theirs.status_code == missing.status_code == 404
    document = load_board(open_registry(
        f"sqlite:///{client.app.state.portal.workspace.home / 'registry.sqlite'}"  # type: ignore[attr-defined]
    )).documents(KAVIR_APP)[0]
    assert client.get(f"/grants/applications/{KAVIR_APP}/documents/{document.id}"
                      ).status_code == 404
    assert client.get(f"/grants/applications/{RAYAN_APP}/documents/{document.id}"
                      ).status_code == 404
    mine = client.get("/grants/mine").text
    assert RAYAN_APP in mine and KAVIR_APP not in mine


def test_an_applicant_applies_and_downloads_its_proposal(own_client: TestClient) -> None:
    log_in(own_client, "rayan")
    response = apply(own_client, name="../../../etc/passwd.pdf")
    assert response.status_code == 303, response.text
    app_id = process.application_id("qom-open", "rayan-soft")
    assert response.headers["location"] == f"/grants/applications/{app_id}"
    home = own_client.app.state.portal.workspace.home  # type: ignore[attr-defined]
    board = load_board(open_registry(f"sqlite:///{home / 'registry.sqlite'}"))
    (document,) = board.documents(app_id)
    assert document.title == "passwd.pdf"
    stored = home / "grants" / "documents" / document.sha256[:2] / document.sha256
    assert stored.read_bytes() == PDF
    assert not (home.parent / "etc").exists()
    download = own_client.get(f"/grants/applications/{app_id}/documents/{document.id}")
    assert download.content == PDF
    assert download.headers["content-disposition"] == f'attachment; filename="{document.id}"'
    assert own_client.get(f"/static/../grants/documents/{document.sha256}").status_code == 404


@pytest.mark.parametrize(("content", "status", "message"), [
    (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff", 400, "not accepted"),
    (b"<html><script>alert(1)</script></html>", 400, "not accepted"),
    (PDF + b"0" * (10 * 1024 * 1024), 400, "the limit is 10485760"),  # just over
    (PDF + b"0" * (11 * 1024 * 1024), 413, "larger than"),  # refused before it is read
])
def test_uploads_are_refused_and_leave_nothing(own_client: TestClient, content: bytes,
                                               status: int, message: str) -> None:
    home = own_client.app.state.portal.workspace.home  # type: ignore[attr-defined]
    before = sorted((home / "grants" / "documents").rglob("*"))
    log_in(own_client, "noor")
    response = apply(own_client, content=content)
    assert response.status_code == status and message in response.text
    board = load_board(open_registry(f"sqlite:///{home / 'registry.sqlite'}"))
    app_id = process.application_id("qom-open", "noor-systems")
    assert board.documents(app_id) == [] and not board.has("application", app_id)
    assert sorted((home / "grants" / "documents").rglob("*")) == before


def test_an_applicant_cannot_apply_outside_its_province(own_client: TestClient) -> None:
    log_in(own_client, "teh-firm")
    assert apply(own_client).status_code == 409


# -- reviewers --------------------------------------------------------------------------
def test_a_reviewer_sees_only_assigned_applications(client: TestClient) -> None:
    log_in(client, "rev-other")
    assert client.get(f"/grants/applications/{RAYAN_APP}").status_code == 404
    assert RAYAN_APP not in client.get("/grants/mine").text
    log_in(client, "rev-hosseini")
    assert client.get(f"/grants/applications/{RAYAN_APP}").status_code == 200
    assert RAYAN_APP in client.get("/grants/mine").text


def test_scores_are_hidden_from_other_reviewers_until_the_call_closes(
        own_client: TestClient) -> None:
    log_in(own_client, "rayan")
    apply(own_client)
    app_id = process.application_id("qom-open", "rayan-soft")
    log_in(own_client, "rev-hosseini")
    page = f"/grants/applications/{app_id}"
    assert own_client.post(f"{page}/score", data={
        "csrf_token": csrf(own_client), "mark_impact": "9", "mark_team": "9",
        "mark_cost": "9"}).status_code == 409  # declare first
    own_client.post(f"{page}/declaration", data={"csrf_token": csrf(own_client)})
    own_client.post(f"{page}/score", data={"csrf_token": csrf(own_client), "mark_impact": "9",
                                           "mark_team": "8", "mark_cost": "7"})
    assert "rev-hosseini: impact 9" in own_client.get(page).text
    log_in(own_client, "rev-karimi")
    assert "rev-hosseini: impact" not in own_client.get(page).text
    log_in(own_client, "qom")
    closed = own_client.post("/grants/calls/qom-open/close",
                             data={"csrf_token": csrf(own_client), "reason": "enough"})
    assert closed.status_code == 200
    log_in(own_client, "rev-karimi")
    assert "rev-hosseini: impact 9" in own_client.get(page).text


# -- officers ---------------------------------------------------------------------------
def test_a_province_officer_manages_only_its_province(own_client: TestClient) -> None:
    log_in(own_client, "qom")
    form = {"csrf_token": csrf(own_client), "reason": "test"}
    assert own_client.post("/grants/calls/teh-open/close", data=form).status_code == 403
    new = {"csrf_token": csrf(own_client), "call_id": "teh-more", "programme_id":
           "teh-it-1405", "title": "x", "opens": "1405-10-01", "closes": "1405-10-20",
           "max_award_rial": "100", "reviewers": "rev-other", "criteria": "a:A:100"}
    assert own_client.post("/grants/calls", data=new).status_code == 403
    assert "new-call" in own_client.get("/grants").text
    log_in(own_client, "teh")
    assert own_client.post("/grants/calls", data={**new, "csrf_token": csrf(own_client)},
                           follow_redirects=False).status_code == 303
    assert own_client.post("/grants/calls/qom-open/close", data={
        "csrf_token": csrf(own_client), "reason": "x"}).status_code == 403
    log_in(own_client, "audit")
    assert own_client.post("/grants/calls/qom-open/close", data={
        "csrf_token": csrf(own_client), "reason": "x"}).status_code == 403


def test_writes_need_csrf_and_the_scope(own_client: TestClient) -> None:
    log_in(own_client, "qom")
    assert own_client.post("/grants/calls/qom-open/close",
                           data={"reason": "no token"}).status_code == 403
    home = own_client.app.state.portal.workspace.home  # type: ignore[attr-defined]
    engine = open_registry(f"sqlite:///{home / 'registry.sqlite'}")
    read_only = issue_token(engine, "qom", ("read",))
    bare = TestClient(own_client.app, raise_server_exceptions=False)
    answer = bare.post("/grants/calls/qom-open/close", data={"reason": "x"},
                       headers={"Authorization": f"Bearer {read_only}"})
    assert answer.status_code == 403 and "grants:write" in answer.text
    writer = issue_token(engine, "qom", ("grants:write",))
    assert bare.post("/grants/calls/qom-open/close", data={"reason": "token"},
                     headers={"Authorization": f"Bearer {writer}"},
                     follow_redirects=False).status_code == 303
    history = load_board(engine).entry("call", "qom-open").last
    assert (history.actor, history.credential, history.reason) == (
        "web:qom", f"token:{token_id(digest(writer))}", "token")


def test_releases_follow_portal_steps(own_client: TestClient) -> None:
    before = own_client.get("/api/grants/releases.json").json()["releases"]
    assert own_client.get("/api/grants/releases.json").json()["releases"] == before
    log_in(own_client, "rayan")
    apply(own_client)
    releases = own_client.get("/api/grants/releases.json").json()["releases"]
    assert releases[:-1] == before and len(releases) == len(before) + 1
    last = releases[-1]
    assert last["ocid"] == "ocds-pahna0-qom-open" and last["tag"] == ["tenderUpdate"]
    assert last["bids"]["statistics"][0]["value"] == 1 and "details" not in last["bids"]
    assert json.dumps(last).count("Rayan") == 0  # not named while the call is open


def test_an_empty_board(tmp_path: Path) -> None:
    with TestClient(create_app(init_workspace(tmp_path / "home")),
                    raise_server_exceptions=False) as empty:
        assert empty.get("/grants").status_code == 200
        for path in ("/api/grants/releases.json", "/api/grants/records.json"):
            answer = empty.get(path)
            assert answer.status_code == 404, answer.text
            assert "no release yet" in answer.json()["error"]["message"]
        assert empty.get("/api/grants/flags").json() == []
        assert empty.get("/api/grants/awards.csv").text.count("\n") == 1


def test_a_malformed_step_is_refused_not_crashed(own_client: TestClient) -> None:
    log_in(own_client, "rayan")
    answer = own_client.post("/grants/calls/qom-open/apply", data={
        "csrf_token": csrf(own_client), "requested_rial": "5", "summary": "",
        "declarations": ["true_information", "no_double_funding"]},
        files={"proposal": ("p.pdf", PDF, "application/pdf")})
    assert answer.status_code == 422 and "summary" in answer.text
    home = own_client.app.state.portal.workspace.home  # type: ignore[attr-defined]
    board = load_board(open_registry(f"sqlite:///{home / 'registry.sqlite'}"))
    assert board.documents(process.application_id("qom-open", "rayan-soft")) == []


def test_a_token_reads_only_with_the_read_scope(own_client: TestClient) -> None:
    home = own_client.app.state.portal.workspace.home  # type: ignore[attr-defined]
    engine = open_registry(f"sqlite:///{home / 'registry.sqlite'}")
    bare = TestClient(own_client.app, raise_server_exceptions=False)
    writer = issue_token(engine, "qom", ("grants:write",))
    reader = issue_token(engine, "qom", ("read",))
    page = f"/grants/applications/{RAYAN_APP}"
    assert bare.get(page, headers={"Authorization": f"Bearer {writer}"}).status_code == 403
    assert bare.get(page, headers={"Authorization": f"Bearer {reader}"}).status_code == 200


# -- cancel, withdraw, programmes, ids ------------------------------------------------------
def test_a_call_is_cancelled_and_an_application_withdrawn(own_client: TestClient) -> None:
    """The steps i15 left out: an officer cancels a call (OCDS tenderCancellation), an
    applicant withdraws an application (tenderUpdate, bid withdrawn); neither deletes."""
    log_in(own_client, "rayan")
    apply(own_client)
    app_id = process.application_id("qom-open", "rayan-soft")
    log_in(own_client, "kavir")
    assert own_client.post(f"/grants/applications/{app_id}/withdraw", data={
        "csrf_token": csrf(own_client), "reason": "not mine"}).status_code == 404
    log_in(own_client, "rayan")
    answer = own_client.post(f"/grants/applications/{app_id}/withdraw", data={
        "csrf_token": csrf(own_client), "reason": "we found other funding"},
        follow_redirects=False)
    assert answer.status_code == 303
    assert own_client.post(f"/grants/applications/{app_id}/withdraw", data={
        "csrf_token": csrf(own_client)}).status_code == 409  # already withdrawn
    releases = own_client.get("/api/grants/releases.json").json()["releases"]
    assert releases[-1]["tag"] == ["tenderUpdate"]
    log_in(own_client, "qom")
    assert own_client.post("/grants/calls/qom-open/cancel", data={
        "csrf_token": csrf(own_client), "reason": ""}).status_code == 422
    assert own_client.post("/grants/calls/qom-open/cancel", data={
        "csrf_token": csrf(own_client), "reason": "the budget moved"},
        follow_redirects=False).status_code == 303
    last = own_client.get("/api/grants/releases.json").json()["releases"][-1]
    assert last["tag"] == ["tenderCancellation"] and last["tender"]["status"] == "cancelled"
    assert "call-cancelled" in own_client.get("/grants/calls/qom-open").text
    assert own_client.post("/grants/calls/qom-eservices/cancel", data={
        "csrf_token": csrf(own_client), "reason": "x"}).status_code == 409  # has awards
    log_in(own_client, "noor")
    refused = own_client.post("/grants/calls/qom-open/apply", data={
        "csrf_token": csrf(own_client), "requested_rial": "5", "summary": "late",
        "declarations": ["true_information", "no_double_funding"]},
        files={"proposal": ("p.pdf", PDF, "application/pdf")})
    assert refused.status_code == 409 and "does not take applications" in refused.text
    home = own_client.app.state.portal.workspace.home  # type: ignore[attr-defined]
    board = load_board(open_registry(f"sqlite:///{home / 'registry.sqlite'}"))
    assert board.application(app_id).status == "withdrawn"
    assert len(board.entry("application", app_id).last.body) > 0  # kept, not deleted


def test_an_officer_opens_a_programme_only_in_its_province(own_client: TestClient) -> None:
    log_in(own_client, "qom")
    page = own_client.get("/grants").text
    assert "new-programme-IR-25" in page and "new-programme-IR-23" not in page
    form = {"programme_id": "qom-games-1405", "title": "Qom games", "year": "1405",
            "budget_rial": "2000000000", "title_fa": "بازی‌های قم"}
    answer = own_client.post("/grants/provinces/IR-25/programmes", follow_redirects=False,
                             data={**form, "csrf_token": csrf(own_client)})
    assert answer.status_code == 303
    assert own_client.post("/grants/provinces/IR-23/programmes", data={
        **form, "programme_id": "teh-games", "csrf_token": csrf(own_client)}
        ).status_code == 403
    log_in(own_client, "teh")
    taken = own_client.post("/grants/provinces/IR-23/programmes", data={
        **form, "csrf_token": csrf(own_client)})
    assert taken.status_code == 409  # qom-games-1405 is Qom's: not moved to Tehran
    home = own_client.app.state.portal.workspace.home  # type: ignore[attr-defined]
    board = load_board(open_registry(f"sqlite:///{home / 'registry.sqlite'}"))
    assert board.programme("qom-games-1405").province == "IR-25"
    assert board.entry("programme", "qom-games-1405").last.credential.startswith("session:")


@pytest.mark.parametrize("path", ["/grants/calls/Qom_Open", "/grants/calls/admin",
                                  "/grants/applications/..%2Fetc",
                                  f"/grants/applications/{RAYAN_APP}/documents/..%2Fx"])
def test_ids_that_are_not_ids_answer_as_missing(client: TestClient, path: str) -> None:
    log_in(client, "minister")
    assert client.get(path).status_code == 404


def test_ids_in_forms_are_checked(own_client: TestClient) -> None:
    log_in(own_client, "qom")
    new = {"csrf_token": csrf(own_client), "call_id": "Bad_Id", "programme_id":
           "qom-it-1404", "title": "x", "opens": "1405-10-01", "closes": "1405-10-20",
           "max_award_rial": "100", "reviewers": "rev-other", "criteria": "a:A:100"}
    answer = own_client.post("/grants/calls", data=new)
    assert answer.status_code == 400 and "Bad_Id" in answer.text
    answer = own_client.post("/grants/calls", data={**new, "call_id": "fine",
                                                    "reviewers": "admin"})
    assert answer.status_code == 400 and "reserved" in answer.text
    assert own_client.post("/grants/calls", data={**new, "programme_id": "../x"}
                           ).status_code == 404
