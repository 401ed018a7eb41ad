"""Regressions of the doors an attacker found open, each tried the way it was tried:
a read-only token writing through the HTML forms, an officer approving a nesting into
another province, anonymous callers telling existing producers from missing ones."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pahna.ledger.state import period_state
from pahna.registry.database import open_registry
from pahna.registry.models import AuditRow, ClaimRow
from pahna.web.accounts import digest
from pahna.web.app import create_app
from pahna.web.tables import DisputeRow
from pahna.web.tokens import issue_token, token_id
from pahna.workspace import Workspace

PERIOD = "1404-08"


def _counts(workspace: Workspace) -> tuple[int, int, int]:
    with Session(open_registry(workspace.registry_url)) as session:
        return (session.scalar(select(func.count()).select_from(ClaimRow)) or 0,
                session.scalar(select(func.count()).select_from(DisputeRow)) or 0,
                session.scalar(select(func.count()).select_from(AuditRow)) or 0)


def _forms(csrf: str, sha: str) -> list[tuple[str, dict[str, str]]]:
    return [
        ("/settlement/draft", {"period": PERIOD}),
        ("/settlement/finalize", {"period": PERIOD, "draft_sha256": sha}),
        ("/registry/claims", {"producer_id": "qom-univ", "prefix": "10.99.0.0/24",
                              "valid_from": "1404-09"}),
        ("/producers/qom-univ/disputes", {"period": PERIOD, "message": "from a token"}),
        ("/disputes/1/answer", {"answer": "from a token", "close": "true"}),
        ("/accounts/tv/disable", {}),
        ("/accounts/tv/password", {"password": "a-new-password"}),
    ]


def test_a_read_only_token_with_a_csrf_cookie_writes_through_no_form(
        own_settled: Workspace) -> None:
    engine = open_registry(own_settled.registry_url)
    secret = issue_token(engine, "minister", ("read",))
    with TestClient(create_app(own_settled), raise_server_exceptions=False) as client:
        client.get("/login")
        csrf = client.cookies.get("pahna_csrf", "")
        client.headers["Authorization"] = f"Bearer {secret}"
        assert client.get("/settlement").status_code == 200  # it may read
        state = period_state(own_settled.home, PERIOD)
        before = _counts(own_settled)
        for path, form in _forms(csrf, state.draft_sha256 or "0" * 64):
            refused = client.post(path, data={**form, "csrf_token": csrf},
                                  follow_redirects=False)
            assert refused.status_code == 403, (path, refused.text)
        for path, body in (("/api/producers/qom-univ/claims",
                            {"prefix": "10.99.0.0/24", "valid_from": "1404-09"}),
                           ("/api/producers/qom-univ/disputes",
                            {"period": PERIOD, "message": "from a token"}),
                           ("/api/disputes/1/answer", {"answer": "from a token"})):
            assert client.post(path, json=body).status_code == 403, path
    assert _counts(own_settled) == before
    after = period_state(own_settled.home, PERIOD)
    assert (after.status, after.draft_sha256) == (state.status, state.draft_sha256)


def test_the_audit_log_names_the_token_that_acted(own_settled: Workspace) -> None:
    engine = open_registry(own_settled.registry_url)
    secret = issue_token(engine, "minister", ("read", "settlement:write"))
    with TestClient(create_app(own_settled), raise_server_exceptions=False) as client:
        client.headers["Authorization"] = f"Bearer {secret}"
        review = client.get(f"/settlement/review?period={PERIOD}")
        sha = review.text.split('name="draft_sha256" value="')[1].split('"')[0]
        done = client.post("/settlement/finalize",
                           data={"period": PERIOD, "draft_sha256": sha},
                           follow_redirects=False)  # no CSRF: a token is not ambient
        assert done.status_code == 303, done.text
    with Session(engine) as session:
        row = session.scalars(select(AuditRow).where(
            AuditRow.action == "settlement.finalize")).one()
    assert row.actor == "web:minister"
    assert row.credential == f"token:{token_id(digest(secret))}"
    assert secret not in json.dumps([row.actor, row.credential, row.after])


def test_a_session_write_names_its_session(as_user, settled: Workspace) -> None:  # type: ignore[no-untyped-def]
    client = as_user("uni")
    posted = client.post("/producers/qom-univ/disputes", data={
        "period": PERIOD, "message": "which session?",
        "csrf_token": client.cookies.get("pahna_csrf")}, follow_redirects=False)
    assert posted.status_code == 303
    session_id = digest(client.cookies.get("pahna_session", ""))[:12]
    with Session(open_registry(settled.registry_url)) as session:
        rows = list(session.scalars(select(AuditRow).where(
            AuditRow.credential == f"session:{session_id}")))
    assert {r.action for r in rows} == {"session.login", "dispute.file"}


@pytest.mark.parametrize("door", ["form", "api"])
def test_an_officer_cannot_approve_a_nesting_into_another_province(
        own_settled: Workspace, door: str) -> None:
    # teh-news (Tehran) holds a prefix; qom-tv's officer claims a /24 inside it, approved.
    engine = open_registry(own_settled.registry_url)
    with Session(engine) as session:
        outer = session.scalars(select(ClaimRow.value).where(
            ClaimRow.producer_id == "teh-news", ClaimRow.value.contains("."))).first()
    assert outer is not None
    inner = outer.rsplit("/", 1)[0].rsplit(".", 1)[0] + ".0/28"
    before = _counts(own_settled)
    with TestClient(create_app(own_settled), raise_server_exceptions=False) as client:
        client.get("/login")
        csrf = client.cookies.get("pahna_csrf", "")
        client.post("/login", data={"username": "qom", "password": "officer-secret-1",
                                    "csrf_token": csrf})
        if door == "form":
            answer = client.post("/registry/claims", data={
                "producer_id": "qom-tv", "prefix": inner, "valid_from": "1404-09",
                "approve_nested": "true", "csrf_token": csrf})
            assert answer.status_code == 400 and "only the ministry" in answer.text
        else:
            answer = client.post("/api/producers/qom-tv/claims", headers={
                "X-CSRF-Token": csrf}, json={"prefix": inner, "valid_from": "1404-09",
                                             "approve_nested": True})
            assert answer.status_code == 403 and "only the ministry" in answer.text
    assert _counts(own_settled)[0] == before[0]
    secret = issue_token(engine, "minister", ("registry:write", "read"))
    with TestClient(create_app(own_settled), raise_server_exceptions=False) as client:
        approved = client.post("/api/producers/qom-tv/claims", headers={
            "Authorization": f"Bearer {secret}"}, json={
            "prefix": inner, "valid_from": "1404-09", "approve_nested": True})
        assert approved.status_code == 201 and approved.json()["nested_approved"]


@pytest.mark.parametrize("path", [
    "/api/producers/{p}/usage", "/api/producers/{p}/claims", "/api/producers/{p}/disputes",
    f"/api/producers/{{p}}/statements/{PERIOD}", "/producers/{p}",
    f"/producers/{{p}}/statements/{PERIOD}"])
def test_no_caller_can_tell_a_missing_producer_from_one_out_of_reach(
        client: TestClient, path: str) -> None:
    answers = {p: client.get(path.format(p=p), follow_redirects=False)
               for p in ("qom-tv", "no-such-producer", "Qom-TV", "summary")}
    assert {a.status_code for a in answers.values()} == {401 if "/api/" in path else 303}
    client.get("/login")
    client.post("/login", data={"username": "uni", "password": "producer-secret-1",
                                "csrf_token": client.cookies.get("pahna_csrf", "")})
    answers = {p: client.get(path.format(p=p), follow_redirects=False)
               for p in ("qom-tv", "no-such-producer", "Qom-TV", "summary")}
    assert {a.status_code for a in answers.values()} == {404}
    if "/api/" in path:
        assert len({a.json()["error"]["code"] for a in answers.values()}) == 1


def test_a_bearer_token_wins_over_the_session_cookie(as_user, settled: Workspace) -> None:  # type: ignore[no-untyped-def]
    client = as_user("minister")  # an administrator's session, with its CSRF cookie
    secret = issue_token(open_registry(settled.registry_url), "minister", ("read",))
    answer = client.post("/settlement/draft", headers={"Authorization": f"Bearer {secret}"},
                         data={"period": PERIOD, "csrf_token": client.cookies.get("pahna_csrf")})
    assert answer.status_code == 403 and "settlement:write" in answer.text
    me = client.get("/api/me", headers={"Authorization": f"Bearer {secret}"}).json()
    assert me["scopes"] == ["read"]


def test_a_producers_token_never_exceeds_its_role(client: TestClient, settled: Workspace) -> None:
    every = ("read", "disputes:write", "registry:write", "settlement:write", "accounts:write")
    secret = issue_token(open_registry(settled.registry_url), "uni", every)
    client.headers["Authorization"] = f"Bearer {secret}"
    assert client.post("/settlement/draft", data={"period": PERIOD}).status_code == 403
    assert client.post("/accounts/tv/disable").status_code == 403
    assert client.post("/api/producers/qom-tv/disputes", json={
        "period": PERIOD, "message": "not mine"}).status_code == 404


def test_statements_sealed_before_per_producer_folders_are_still_served(
        own_settled: Workspace) -> None:
    folder = own_settled.statements_dir(PERIOD)
    nested = folder / "statements" / "qom-univ" / "statement.csv"
    flat = folder / "qom-univ.csv"
    flat.write_bytes(nested.read_bytes() + b"# written flat, as before\n")
    nested.unlink()
    with TestClient(create_app(own_settled)) as client:
        client.get("/login")
        client.post("/login", data={"username": "uni", "password": "producer-secret-1",
                                    "csrf_token": client.cookies.get("pahna_csrf", "")})
        served = client.get(f"/producers/qom-univ/statements/{PERIOD}?format=csv")
    assert served.status_code == 200 and served.content == flat.read_bytes()
