"""Settlement drafts, claim approvals, accounts and the audit trail of each."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from pahna.errors import NotFoundError, RegistryError
from pahna.registry.database import open_registry
from pahna.registry.models import AuditRow
from pahna.web.accounts import Account, add_account, check_password
from pahna.web.app import create_app
from pahna.web.drafts import last_draft
from pahna.web.routes.session import safe_next
from pahna.web.snapshots import daily_bytes, five_minute_bytes
from pahna.web.tokens import issue_token
from pahna.workspace import Workspace

PERIOD = "1404-08"


def _actions(workspace: Workspace) -> set[tuple[str, str]]:
    with Session(open_registry(workspace.registry_url)) as session:
        return {(r.actor, r.action) for r in session.scalars(select(AuditRow))}


def test_admin_recomputes_the_draft_and_sees_what_changed(own_settled: Workspace) -> None:
    settled = own_settled
    client = TestClient(create_app(settled), raise_server_exceptions=False)
    client.get("/login")
    client.post("/login", data={"username": "minister", "password": "admin-secret-1",
                                "csrf_token": client.cookies.get("pahna_csrf")})
    page = client.post("/settlement/draft", data={
        "period": PERIOD, "csrf_token": client.cookies.get("pahna_csrf")})
    assert page.status_code == 200 and page.url.path == "/settlement"
    assert 'id="no-changes"' in page.text  # same flows, same tariff: nothing moved
    (settled.tariffs_dir / "t2.toml").write_text(
        'id = "incentive-test"\nversion = 2\nvalid_from = "1404-01"\n'
        'rate_rial_per_gb = "40000000"\npool_rial = 5000000000\n')
    client.post("/settlement/draft", data={
        "period": PERIOD, "csrf_token": client.cookies.get("pahna_csrf")})
    later = client.get(f"/settlement?period={PERIOD}")  # the changes stay on the page
    rows = later.text.split('id="changes"')[1].split("</table>")[0].count("<tr>")
    assert rows == 1 + 3  # header and the three producers, paid at a lower rate
    draft = last_draft(open_registry(settled.registry_url), PERIOD)
    assert draft is not None and len(draft.changes) == 3
    assert all(after * 5 == pytest.approx(before * 4, abs=5) for _, before, after in
               draft.changes)
    assert draft.total_after_rial < draft.total_before_rial
    assert ("web:minister", "settlement.draft") in _actions(settled)
    assert ("web:minister", "session.login") in _actions(settled)


def test_officer_needs_to_approve_a_nested_prefix(as_user, settled: Workspace) -> None:  # type: ignore[no-untyped-def]
    client = as_user("qom")
    form = {"producer_id": "qom-tv", "prefix": "185.120.200.0/24", "valid_from": "1404-09",
            "csrf_token": client.cookies.get("pahna_csrf")}
    refused = client.post("/registry/claims", data=form)
    assert refused.status_code == 400 and "needs approval" in refused.text
    approved = client.post("/registry/claims", data={**form, "approve_nested": "true"})
    assert approved.status_code == 200 and 'id="claim-saved"' in approved.text
    assert "qom-univ 185.120.0.0/16" in approved.text  # the overlap warning stays visible
    assert ("web:qom", "claim.add") in _actions(settled)


def test_accounts_are_checked_and_hashed(settled: Workspace) -> None:
    engine = open_registry(settled.registry_url)
    with pytest.raises(NotFoundError):
        add_account(engine, Account("o2", "officer", province="IR-99"), "long-enough-1")
    with pytest.raises(NotFoundError):
        add_account(engine, Account("p2", "producer", producer_id="nobody"), "long-enough-1")
    with pytest.raises(RegistryError):
        add_account(engine, Account("r2", "root"), "long-enough-1")
    with pytest.raises(RegistryError):
        add_account(engine, Account("s2", "auditor"), "short")
    with pytest.raises(RegistryError):
        issue_token(engine, "audit", ("write:everything",))
    assert check_password(engine, "audit", "auditor-secret-1") == Account("audit", "auditor")
    assert check_password(engine, "audit", "wrong") is None
    assert check_password(engine, "nobody", "auditor-secret-1") is None
    from pahna.web.accounts import AccountRow
    with Session(engine) as session:
        stored = session.get(AccountRow, "audit")
        assert stored is not None and stored.password_hash.startswith("$argon2id$")


@pytest.mark.parametrize(("target", "expected"), [
    ("/producers/qom-univ?period=1404-08", "/producers/qom-univ?period=1404-08"),
    ("//evil.example/", "/"), ("/\\evil.example", "/"), ("/\t/evil.example", "/"),
    ("https://evil.example/", "/"), ("javascript:alert(1)", "/"), ("", "/"),
])
def test_redirect_targets_stay_on_the_site(target: str, expected: str) -> None:
    assert safe_next(target) == expected


def test_five_minute_bins_add_up_to_each_day(client: TestClient) -> None:
    portal = client.app.state.portal  # type: ignore[attr-defined]
    snap = portal.snapshots.get(PERIOD)
    series = snap.series("qom-univ")
    days = daily_bytes(series, snap.month)
    for day in (1, 15, snap.month.days):
        assert sum(five_minute_bytes(series, snap.month, day)) == sum(days[day - 1].values())
    assert sum(sum(d.values()) for d in days) == snap.statements["qom-univ"].bytes
    assert snap.series("nobody").bytes.size == 0
