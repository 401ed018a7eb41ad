"""Throttling, cookie flags, CSRF, token scopes, and injection rendered harmless."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from pahna.registry.database import open_registry
from pahna.registry.models import AuditRow
from pahna.web.tokens import issue_token
from pahna.workspace import Workspace

PERIOD = "1404-08"
NASTY = "<script>alert('x')</script>\"'><img src=x onerror=alert(1)>'; DROP TABLE producers; --"


def _csrf(client: TestClient) -> str:
    client.get("/login")
    return client.cookies.get("pahna_csrf", "")


def test_wrong_passwords_are_throttled_even_before_the_right_one(client: TestClient) -> None:
    csrf = _csrf(client)
    for _ in range(5):
        wrong = client.post("/login", data={"username": "audit", "password": "nope-nope",
                                            "csrf_token": csrf})
        assert wrong.status_code == 401
    held = client.post("/login", data={"username": "audit", "password": "auditor-secret-1",
                                       "csrf_token": csrf}, follow_redirects=False)
    assert held.status_code == 429
    assert int(held.headers["retry-after"]) > 0
    assert "pahna_session" not in held.headers.get("set-cookie", "")


def test_session_cookie_is_httponly_and_samesite(client: TestClient) -> None:
    csrf = _csrf(client)
    response = client.post("/login", data={"username": "minister", "password": "admin-secret-1",
                                           "csrf_token": csrf}, follow_redirects=False)
    cookie = next(v for v in response.headers.get_list("set-cookie")
                  if v.startswith("pahna_session="))
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert "httponly" in flags and "samesite=strict" in flags and "path=/" in flags
    assert "csp" not in flags
    assert "default-src 'self'" in response.headers["content-security-policy"]


def test_login_without_csrf_is_refused(client: TestClient) -> None:
    _csrf(client)
    response = client.post("/login", data={"username": "minister", "password": "admin-secret-1"})
    assert response.status_code == 403


def test_forms_refuse_missing_or_wrong_csrf(as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user("uni")
    for token in ("", "forged-token"):
        refused = client.post("/producers/qom-univ/disputes",
                              data={"period": PERIOD, "message": "hello", "csrf_token": token})
        assert refused.status_code == 403
    api = client.post("/api/producers/qom-univ/disputes",
                      json={"period": PERIOD, "message": "hello"})
    assert api.status_code == 403 and api.json()["error"]["code"] == "csrf"


def test_token_is_limited_to_its_scope(client: TestClient, settled: Workspace) -> None:
    engine = open_registry(settled.registry_url)
    read_only = issue_token(engine, "uni", ("read",))
    writer = issue_token(engine, "uni", ("read", "disputes:write"))
    client.cookies.clear()
    body = {"period": PERIOD, "message": "bytes look low on day 3"}
    headers = {"Authorization": f"Bearer {read_only}"}
    assert client.get("/api/producers/qom-univ/usage", headers=headers).status_code == 200
    refused = client.post("/api/producers/qom-univ/disputes", json=body, headers=headers)
    assert refused.status_code == 403 and "disputes:write" in refused.json()["error"]["message"]
    headers = {"Authorization": f"Bearer {writer}"}
    assert client.post("/api/producers/qom-univ/disputes", json=body,
                       headers=headers).status_code == 201
    assert client.post("/api/producers/qom-tv/disputes", json=body,
                       headers=headers).status_code == 404
    assert client.post("/api/producers/qom-univ/claims", headers=headers, json={
        "prefix": "10.9.0.0/24", "valid_from": "1404-09"}).status_code == 403
    bad = client.get("/api/producers", headers={"Authorization": "Bearer pahna_nope"})
    assert bad.status_code == 401


@pytest.mark.parametrize("field", ["message"])
def test_injection_in_dispute_is_stored_verbatim_and_escaped(
        as_user, settled: Workspace, field: str) -> None:  # type: ignore[no-untyped-def]
    client = as_user("uni")
    csrf = client.cookies.get("pahna_csrf")
    posted = client.post("/producers/qom-univ/disputes",
                         data={"period": PERIOD, field: NASTY, "csrf_token": csrf})
    assert posted.status_code == 200  # redirected to the producer page
    page = posted.text
    assert "<script>alert('x')</script>" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert "<img src=x" not in page
    listed = client.get("/api/producers/qom-univ/disputes").json()
    assert any(d["message"] == NASTY for d in listed)
    assert client.get("/api/producers").status_code == 200  # the table is still there
    with Session(open_registry(settled.registry_url)) as session:
        actions = set(session.scalars(select(AuditRow.action)))
    assert "dispute.file" in actions


def test_injection_in_claim_and_login_fields_is_harmless(as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user("qom")
    csrf = client.cookies.get("pahna_csrf")
    response = client.post("/registry/claims", data={
        "producer_id": "qom-univ", "prefix": NASTY[:64], "valid_from": "1404-09",
        "csrf_token": csrf})
    assert response.status_code == 400
    assert "<script>" not in response.text and "&lt;script&gt;" in response.text
    login = client.post("/login", data={"username": NASTY[:64], "password": NASTY,
                                        "csrf_token": csrf})
    assert login.status_code == 401 and "<script>" not in login.text
    injected = client.get("/producers/qom-univ' OR '1'='1")
    assert injected.status_code == 404 and "<script>" not in injected.text


def test_claim_added_by_officer_is_audited(as_user, settled: Workspace) -> None:  # type: ignore[no-untyped-def]
    client = as_user("qom")
    csrf = client.cookies.get("pahna_csrf")
    response = client.post("/registry/claims", data={
        "producer_id": "qom-tv", "prefix": "10.77.0.0/24", "valid_from": "1404-09",
        "csrf_token": csrf})
    assert response.status_code == 200 and "10.77.0.0/24" in response.text
    with Session(open_registry(settled.registry_url)) as session:
        actors = set(session.scalars(select(AuditRow.actor).where(
            AuditRow.action == "claim.add")))
    assert "web:qom" in actors
    other = client.post("/registry/claims", data={
        "producer_id": "teh-news", "prefix": "10.78.0.0/24", "valid_from": "1404-09",
        "csrf_token": csrf})
    assert other.status_code == 404


def test_logout_ends_the_session_at_once(as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user("minister")
    cookie = client.cookies.get("pahna_session")
    assert client.get("/overview").status_code == 200
    out = client.post("/logout", data={"csrf_token": client.cookies.get("pahna_csrf")},
                      follow_redirects=False)
    assert out.status_code == 303
    client.cookies.set("pahna_session", cookie)  # a stolen copy of the old cookie
    assert client.get("/overview", follow_redirects=False).status_code == 303
    assert client.get("/api/overview").status_code == 401
