"""Adversaries in a real browser (Debian's chromium, driven by Playwright) against a live
`pahna serve`: a producer tampering with ids in URLs and forms, an officer reaching into
another province, and a read-only API token, riding a valid CSRF cookie, posting every
form the portal shows. Each is refused and the workspace is left as it was."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.e2e.web.conftest import LivePortal, _copy, pahna, serving
from tests.e2e.web.test_web_browser import PERIOD, log_in

from pahna.ledger.state import period_state
from pahna.registry.database import open_registry
from pahna.registry.models import AuditRow, ClaimRow
from pahna.web.tables import AccountRow, DisputeRow, TokenRow

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def adversary_portal(demo_home, tmp_path_factory) -> Iterator[tuple[LivePortal, str]]:  # type: ignore[no-untyped-def]
    """A portal of its own, a dispute of qom-univ's to answer, and an administrator's
    token that may only read."""
    home = _copy(demo_home, tmp_path_factory, "adversary")
    read_only = pahna("users", "token", "minister", "--scope", "read", "--label", "viewer",
                      "--home", str(home)).strip()
    with serving(home, demo_home[1]) as portal:
        filed = httpx.post(f"{portal.url}/api/producers/qom-univ/disputes", headers={
            "Authorization": f"Bearer {portal.token}"}, json={
            "period": PERIOD, "message": "day 3 looks low"})
        assert filed.status_code == 201, filed.text
        yield portal, read_only


def snapshot(home: Path) -> dict[str, object]:
    """What a successful attack would change: writes in the audit log, claims, disputes,
    accounts, tokens and the month's ledger state."""
    engine = open_registry(f"sqlite:///{home / 'registry.sqlite'}")
    with Session(engine) as session:
        writes = session.scalars(select(AuditRow.action).where(
            AuditRow.action.not_in(("session.login",)))).all()
        state = period_state(home, PERIOD)
        return {
            "writes": sorted(writes),
            "claims": session.scalar(select(func.count()).select_from(ClaimRow)),
            "disputes": sorted((d.producer_id, d.status, d.answer or "")
                               for d in session.scalars(select(DisputeRow))),
            "accounts": sorted((a.username, a.password_hash, a.disabled_ms)
                               for a in session.scalars(select(AccountRow))),
            "tokens": sorted((t.digest, t.revoked_ms) for t in session.scalars(select(TokenRow))),
            "ledger": (state.status, state.draft_sha256, state.revision),
        }


def _post_status(page, submit: str) -> int:  # type: ignore[no-untyped-def]
    """Click `submit` and return the status of the POST it makes."""
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click(submit)
    page.wait_for_load_state("networkidle")
    return int(answer.value.status)


def _csrf(page) -> str:  # type: ignore[no-untyped-def]
    return next(c["value"] for c in page.context.cookies() if c["name"] == "pahna_csrf")


def test_a_producer_tampering_with_ids_is_refused(browser, adversary_portal) -> None:  # type: ignore[no-untyped-def]
    portal, _ = adversary_portal
    context = browser.new_context(locale="fa-IR")
    page = context.new_page()
    log_in(page, portal, "uni")
    before = snapshot(portal.home)
    for path in ("/producers/qom-tv", f"/producers/qom-tv/statements/{PERIOD}",
                 f"/producers/qom-tv/statements/{PERIOD}?format=csv", "/producers/summary",
                 "/producers/QOM-TV", "/accounts", "/disputes", "/settlement"):
        status = page.goto(f"{portal.url}{path}").status
        assert status in (403, 404), (path, status)
        assert status == 404 or not path.startswith("/producers/"), path
    page.goto(f"{portal.url}/producers/qom-univ")
    page.eval_on_selector("#dispute-form", "f => f.action = '/producers/qom-tv/disputes'")
    page.fill("#dispute-form textarea", "filed in another producer's name")
    assert _post_status(page, "#dispute-form button") == 404
    page.goto(f"{portal.url}/producers/qom-univ")
    page.eval_on_selector("#dispute-form", """f => {
        f.action = '/disputes/1/answer';
        f.querySelector('textarea').name = 'answer'; }""")
    page.fill("#dispute-form textarea", "answered by the producer itself")
    assert _post_status(page, "#dispute-form button") == 403
    page.goto(f"{portal.url}/producers/qom-univ")
    page.eval_on_selector("#dispute-form", """f => {
        f.action = '/registry/claims';
        for (const [name, value] of [['producer_id', 'qom-univ'],
                                     ['prefix', '10.250.0.0/24'], ['valid_from', '1404-09']]) {
          const input = document.createElement('input');
          input.type = 'hidden'; input.name = name; input.value = value; f.append(input);
        } }""")
    page.fill("#dispute-form textarea", "a claim through the dispute form")
    assert _post_status(page, "#dispute-form button") == 403
    headers = {"X-CSRF-Token": _csrf(page)}
    assert page.request.get(f"{portal.url}/api/producers/qom-tv/claims").status == 404
    assert page.request.post(f"{portal.url}/api/producers/qom-tv/disputes", headers=headers,
                             data={"period": PERIOD, "message": "x"}).status == 404
    assert page.request.post(f"{portal.url}/api/disputes/1/answer", headers=headers,
                             data={"answer": "x", "close": True}).status == 403
    assert snapshot(portal.home) == before
    context.close()


def test_an_officer_cannot_reach_into_another_province(browser, adversary_portal) -> None:  # type: ignore[no-untyped-def]
    portal, _ = adversary_portal
    tehran = httpx.get(f"{portal.url}/api/producers/teh-news/claims", headers={
        "Authorization": f"Bearer {portal.token}"}).json()
    outer = next(c["value"] for c in tehran if "." in c["value"])
    inner = outer.rsplit("/", 1)[0].rsplit(".", 1)[0] + ".16/28"
    context = browser.new_context(locale="fa-IR")
    page = context.new_page()
    log_in(page, portal, "qom")
    before = snapshot(portal.home)
    assert page.goto(f"{portal.url}/provinces/IR-23").status == 403
    assert page.goto(f"{portal.url}/producers/teh-news").status == 404
    assert page.request.get(f"{portal.url}/api/provinces/IR-23").status == 403
    assert page.request.get(f"{portal.url}/api/producers/teh-news/usage").status == 404
    page.goto(f"{portal.url}/registry")
    page.eval_on_selector("#claim-form select", """s => {
        const o = document.createElement('option'); o.value = 'teh-news';
        o.textContent = 'teh-news'; s.append(o); }""")
    page.select_option("#claim-form select", "teh-news")
    page.fill("#claim-form input[name=prefix]", "10.250.0.0/24")
    page.fill("#claim-form input[name=valid_from]", "1404-09")
    assert _post_status(page, "#claim-form button") == 404
    page.goto(f"{portal.url}/registry")
    page.select_option("#claim-form select", "qom-tv")
    page.fill("#claim-form input[name=prefix]", inner)
    page.fill("#claim-form input[name=valid_from]", "1404-09")
    page.check("#claim-form input[name=approve_nested]")
    assert _post_status(page, "#claim-form button") == 400
    assert "only the ministry" in page.locator("#claim-error").inner_text()
    assert page.request.post(f"{portal.url}/api/producers/qom-tv/claims", headers={
        "X-CSRF-Token": _csrf(page)}, data={"prefix": inner, "valid_from": "1404-09",
                                            "approve_nested": True}).status == 403
    assert snapshot(portal.home) == before
    context.close()


def test_a_read_only_token_with_a_csrf_cookie_posts_no_form(browser, adversary_portal) -> None:  # type: ignore[no-untyped-def]
    portal, read_only = adversary_portal
    context = browser.new_context(locale="fa-IR", extra_http_headers={
        "Authorization": f"Bearer {read_only}"})
    page = context.new_page()
    before = snapshot(portal.home)
    forms = [  # (page, how to fill, the submit button), every form an administrator sees
        ("/settlement", None, "#draft-form button"),
        (f"/settlement/review?period={PERIOD}", None, "#finalize-button"),
        ("/registry", {"#claim-form input[name=prefix]": "10.251.0.0/24",
                       "#claim-form input[name=valid_from]": "1404-09"}, "#claim-form button"),
        ("/producers/qom-univ", {"#dispute-form textarea": "from a read-only token"},
         "#dispute-form button"),
        ("/disputes", {".answer-form textarea": "from a read-only token"},
         ".answer-form button"),
        ("/accounts", None, "#account-audit .toggle-account"),
        ("/accounts", {"#account-audit .password-form input[name=password]": "pwned-pwned"},
         "#account-audit .password-form button"),
        ("/accounts", None, ".revoke-token"),
    ]
    for path, fields, submit in forms:
        assert page.goto(f"{portal.url}{path}").status == 200, path  # it may read
        assert _csrf(page)  # the browser holds a valid CSRF cookie, and the form its token
        for selector, value in (fields or {}).items():
            page.locator(selector).first.fill(value)
        page.locator(submit).first.wait_for()
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            page.locator(submit).first.click()
        assert answer.value.status == 403, (path, submit, answer.value.status)
        assert "scope" in answer.value.text()
    assert snapshot(portal.home) == before
    context.close()
