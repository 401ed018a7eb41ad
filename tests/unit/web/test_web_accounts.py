"""Accounts a ministry can run: disable and enable, password reset, token expiry,
revocation and listing, disputes answered and closed; each audited with the credential."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session
from tests.unit.web.conftest import PASSWORDS, log_in

from pahna.registry.database import open_registry
from pahna.registry.models import AuditRow
from pahna.web.accounts import digest, list_accounts, now_ms
from pahna.web.app import create_app
from pahna.web.auth import SESSION_MEMO_S
from pahna.web.tables import AccountRow, TokenRow
from pahna.web.tokens import issue_token, list_tokens, revoke_token, token_id
from pahna.workspace import Workspace

PERIOD = "1404-08"


def _audit(workspace: Workspace, action: str) -> list[AuditRow]:
    with Session(open_registry(workspace.registry_url)) as session:
        return list(session.scalars(select(AuditRow).where(AuditRow.action == action)))


def _post(client: TestClient, path: str, **form: str) -> int:
    response = client.post(path, data={**form, "csrf_token": client.cookies.get(
        "pahna_csrf", "")}, follow_redirects=False)
    return response.status_code


def test_a_disabled_account_is_locked_out_at_once_and_enabled_again(
        own_settled: Workspace) -> None:
    engine = open_registry(own_settled.registry_url)
    token = issue_token(engine, "tv", ("read",))
    app = create_app(own_settled)
    with TestClient(app) as holder, TestClient(app) as ministry:
        log_in(holder, "tv")
        bearer = {"Authorization": f"Bearer {token}"}
        assert holder.get("/producers/qom-tv").status_code == 200
        assert holder.get("/api/producers", headers=bearer).status_code == 200
        log_in(ministry, "minister")
        assert _post(ministry, "/accounts/tv/disable") == 303
        assert holder.get("/producers/qom-tv", follow_redirects=False).status_code == 303
        assert holder.get("/api/producers", headers=bearer).status_code == 401
        holder.cookies.clear()
        holder.get("/login")
        assert _post(holder, "/login", username="tv", password=PASSWORDS["tv"]) == 401
        page = ministry.get("/accounts").text
        assert 'id="account-tv" data-disabled="true"' in page
        assert _post(ministry, "/accounts/tv/enable") == 303
        assert _post(holder, "/login", username="tv", password=PASSWORDS["tv"]) == 303
        assert holder.get("/api/producers", headers=bearer).status_code == 200
        assert _post(ministry, "/accounts/minister/disable") == 409  # not oneself
    session = f"session:{digest(ministry.cookies.get('pahna_session', ''))[:12]}"
    for action in ("account.disable", "account.enable"):
        (row,) = _audit(own_settled, action)
        assert (row.actor, row.credential, row.entity) == ("web:minister", session,
                                                          "account:tv")


def test_an_administrator_resets_a_password_and_its_sessions_end(
        own_settled: Workspace) -> None:
    app = create_app(own_settled)
    with TestClient(app) as holder, TestClient(app) as ministry:
        log_in(holder, "uni")
        log_in(ministry, "minister")
        assert _post(ministry, "/accounts/uni/password", password="short") == 422
        assert _post(ministry, "/accounts/uni/password", password="a-fresh-secret") == 303
        assert holder.get("/producers/qom-univ", follow_redirects=False).status_code == 303
        holder.cookies.clear()
        holder.get("/login")
        assert _post(holder, "/login", username="uni", password=PASSWORDS["uni"]) == 401
        assert _post(holder, "/login", username="uni", password="a-fresh-secret") == 303
        assert _post(ministry, "/accounts/nobody/password", password="a-fresh-secret") == 404
    (row,) = _audit(own_settled, "account.password_reset")
    assert row.actor == "web:minister" and "a-fresh-secret" not in (row.after or "")


def test_tokens_expire_are_listed_and_revoked(own_settled: Workspace) -> None:
    engine = open_registry(own_settled.registry_url)
    kept = issue_token(engine, "audit", ("read",), label="dashboard")
    old = issue_token(engine, "audit", ("read",), label="old", days=1)
    with Session(engine) as session:  # a day and a second later
        session.execute(update(TokenRow).where(TokenRow.digest == digest(old))
                        .values(expires_ms=now_ms() - 1000))
        session.commit()
    app = create_app(own_settled)
    with TestClient(app) as caller, TestClient(app) as ministry:
        assert caller.get("/api/producers", headers={
            "Authorization": f"Bearer {old}"}).status_code == 401
        assert caller.get("/api/producers", headers={
            "Authorization": f"Bearer {kept}"}).status_code == 200
        states = {t.label: t.state(now_ms()) for t in list_tokens(engine, "audit")}
        assert states == {"dashboard": "active", "old": "expired"}
        log_in(ministry, "minister")
        page = ministry.get("/accounts").text
        kept_id = token_id(digest(kept))
        assert f'id="token-{kept_id}" data-state="active"' in page and kept not in page
        assert _post(ministry, f"/accounts/tv/tokens/{kept_id}/revoke") == 404  # not tv's
        assert _post(ministry, f"/accounts/audit/tokens/{kept_id}/revoke") == 303
        assert caller.get("/api/producers", headers={
            "Authorization": f"Bearer {kept}"}).status_code == 401
    assert revoke_token(engine, kept_id).state(now_ms()) == "revoked"  # twice: no error
    (row,) = _audit(own_settled, "token.revoke")
    assert row.actor == "web:minister" and row.credential.startswith("session:")


def test_disputes_are_answered_and_closed_and_the_producer_sees_the_answer(
        own_settled: Workspace) -> None:
    engine = open_registry(own_settled.registry_url)
    secret = issue_token(engine, "minister", ("read", "disputes:write"))
    app = create_app(own_settled)
    with TestClient(app) as producer, TestClient(app) as ministry:
        log_in(producer, "uni")
        assert _post(producer, "/producers/qom-univ/disputes", period=PERIOD,
                     message="day 3 looks low") == 303
        dispute = producer.get("/api/producers/qom-univ/disputes").json()[0]
        assert (dispute["status"], dispute["answer"]) == ("open", None)
        assert _post(producer, f"/disputes/{dispute['id']}/answer", answer="mine") == 403
        log_in(ministry, "minister")
        assert ministry.get("/disputes").text.count('class="answer-form"') == 1
        assert _post(ministry, f"/disputes/{dispute['id']}/answer",
                     answer="We recounted: day 3 was a holiday.") == 303
        shown = producer.get("/api/producers/qom-univ/disputes").json()[0]
        assert shown["status"] == "answered" and shown["answer"].startswith("We recounted")
        closed = ministry.post(f"/api/disputes/{dispute['id']}/answer", headers={
            "Authorization": f"Bearer {secret}"}, json={"answer": "Closed.", "close": True})
        assert closed.status_code == 200 and closed.json()["status"] == "closed"
        page = producer.get("/producers/qom-univ").text
        assert 'data-status="closed"' in page and "Closed." in page
        again = _post(ministry, f"/disputes/{dispute['id']}/answer", answer="more")
        assert again == 400
        assert 'class="answer-form"' not in ministry.get("/disputes").text
        assert _post(ministry, "/disputes/99999/answer", answer="x") == 404
    answer, close = _audit(own_settled, "dispute.answer"), _audit(own_settled, "dispute.close")
    assert answer[0].credential.startswith("session:")
    assert close[0].credential == f"token:{token_id(digest(secret))}"


def test_another_process_sees_a_disabled_account_within_the_memo(
        own_settled: Workspace, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    clock = [1000.0]
    monkeypatch.setattr("pahna.web.auth.time.monotonic", lambda: clock[0])
    elsewhere, ministry = create_app(own_settled), create_app(own_settled)  # two processes
    with TestClient(elsewhere) as holder, TestClient(ministry) as admin:
        log_in(holder, "tv")
        assert holder.get("/producers/qom-tv").status_code == 200  # its session is held
        log_in(admin, "minister")
        assert _post(admin, "/accounts/tv/disable") == 303
        clock[0] += SESSION_MEMO_S - 1
        assert holder.get("/producers/qom-tv").status_code == 200  # still in the memo
        clock[0] += 2
        assert holder.get("/producers/qom-tv", follow_redirects=False).status_code == 303


def test_tokens_last_ninety_days_unless_told(own_settled: Workspace) -> None:
    engine = open_registry(own_settled.registry_url)
    issue_token(engine, "audit", ("read",), label="default")
    issue_token(engine, "audit", ("read",), label="week", days=7)
    days = {t.label: (t.expires_ms or 0) - t.created_ms for t in list_tokens(engine, "audit")}
    assert days == {"default": 90 * 86_400_000, "week": 7 * 86_400_000}


def test_an_account_named_before_names_were_checked_still_logs_in(
        own_settled: Workspace) -> None:
    _rename_account(own_settled, "audit", "Old_Auditor")
    with TestClient(create_app(own_settled)) as client:
        log_in(client, "Old_Auditor", PASSWORDS["audit"])
        assert client.get("/overview").status_code == 200


def test_an_account_named_before_names_were_checked_can_be_disabled(
        own_settled: Workspace) -> None:
    engine = _rename_account(own_settled, "tv", "Old_TV")
    with TestClient(create_app(own_settled)) as ministry:
        log_in(ministry, "minister")
        assert _post(ministry, "/accounts/Old_TV/disable") == 303
    assert [a.disabled for a in list_accounts(engine) if a.username == "Old_TV"] == [True]


def _rename_account(workspace: Workspace, old: str, new: str) -> Engine:
    """Give an account a name that is not an id, as an old pahna could store it."""
    engine = open_registry(workspace.registry_url)
    with Session(engine) as session:
        session.execute(update(AccountRow).where(AccountRow.username == old)
                        .values(username=new))
        session.commit()
    return engine
