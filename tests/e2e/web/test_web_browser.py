"""Headless Chromium (Debian's, driven by Playwright) against the live portal."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pahna.ledger.book import Ledger

PERIOD = "1404-08"
SHOTS = os.environ.get("PAHNA_SCREENSHOTS")
REPO = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.slow

# Counts the canvas pixels that are not transparent: an empty canvas has none.
PAINTED = """(canvas) => {
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) painted++; }
  return painted;
}"""

REVERSED = "(canvas) => Chart.getChart(canvas).options.scales.x.reverse"


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fa-IR")
    yield context.new_page()
    context.close()


def log_in(page, portal, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{portal.url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", portal.password(username))
    page.click("#login-submit")
    page.wait_for_load_state("networkidle")
    assert page.locator("#user").inner_text().startswith(username)


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"))


def assert_chart_drawn(page, canvas_id: str) -> None:  # type: ignore[no-untyped-def]
    canvas = page.locator(f"#{canvas_id}")
    page.wait_for_selector(f"#{canvas_id}[data-drawn]")
    assert int(canvas.get_attribute("data-drawn")) > 0
    assert canvas.evaluate(PAINTED) > 500


def test_admin_sees_national_overview_with_charts(page, live_portal) -> None:  # type: ignore[no-untyped-def]
    log_in(page, live_portal, "minister")
    assert page.url.endswith("/overview")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert "قم" in page.locator("#province-table").inner_text()
    assert page.locator("#top-table tbody tr").count() == 10
    assert_chart_drawn(page, "chart-provinces")
    assert_chart_drawn(page, "chart-trend")
    shot(page, "overview")
    page.goto(f"{live_portal.url}/settlement")
    assert page.locator("#settlement-table tbody tr").count() == 30


def test_officer_sees_own_province_only(page, live_portal) -> None:  # type: ignore[no-untyped-def]
    log_in(page, live_portal, "qom")
    assert page.url.endswith("/provinces/IR-25")
    rows = page.locator("#producer-table tbody tr")
    assert rows.count() == 6
    assert_chart_drawn(page, "chart-producers")
    shot(page, "province")
    assert page.goto(f"{live_portal.url}/provinces/IR-23").status == 403
    assert page.goto(f"{live_portal.url}/producers/teh-news").status == 404
    page.goto(f"{live_portal.url}/registry")
    assert "qom-univ" in page.locator("#claims-table").inner_text()
    assert "teh-news" not in page.locator("#claims-table").inner_text()
    shot(page, "registry")


def test_producer_sees_own_traffic_and_not_another_statement(page, live_portal) -> None:  # type: ignore[no-untyped-def]
    log_in(page, live_portal, "uni")
    assert page.url.endswith("/producers/qom-univ")
    assert page.locator("#producer-name").inner_text() == "دانشگاه قم"
    assert_chart_drawn(page, "chart-daily")
    assert_chart_drawn(page, "chart-5min")
    shot(page, "producer")
    own = page.goto(f"{live_portal.url}/producers/qom-univ/statements/{PERIOD}")
    assert own.status == 200
    other = page.goto(f"{live_portal.url}/producers/qom-tv/statements/{PERIOD}")
    assert other.status == 404
    api = page.request.get(f"{live_portal.url}/api/producers/qom-tv/statements/{PERIOD}")
    assert api.status == 404 and api.json()["error"]["code"] == "not_found"
    mine = page.request.get(f"{live_portal.url}/api/producers/qom-univ/statements/{PERIOD}")
    assert mine.status == 200 and mine.json()["amount_rial"] > 0


def test_producer_files_a_dispute(page, live_portal) -> None:  # type: ignore[no-untyped-def]
    log_in(page, live_portal, "uni")
    page.fill("#dispute-form textarea", "<b>day 3</b> looks low")
    page.click("#dispute-form button")
    page.wait_for_load_state("networkidle")
    assert "<b>day 3</b> looks low" in page.locator(".dispute-text").first.inner_text()


def test_auditor_reads_the_nation(page, live_portal) -> None:  # type: ignore[no-untyped-def]
    log_in(page, live_portal, "audit")
    assert page.url.endswith("/overview")
    page.goto(f"{live_portal.url}/settlement")
    assert page.locator("#settlement-table tbody tr").count() == 30
    assert page.locator("#draft-form").count() == 0
    assert page.goto(f"{live_portal.url}/producers/teh-news").status == 200


def finalize_from_cli(home: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pahna", "settle", "finalize", "--period", PERIOD,
         "--home", str(home)], capture_output=True, text=True, timeout=300, cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO / "src")})
    assert result.returncode == 0, result.stderr


@pytest.fixture
def final_period(live_portal):  # type: ignore[no-untyped-def]
    """The live portal's month finalized (from the command line) if it is not yet."""
    if Ledger(live_portal.home).active_revision(PERIOD) is None:
        finalize_from_cli(live_portal.home)
    return PERIOD


def test_public_page_language_switch_and_csv(page, live_portal, final_period) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_portal.url}/")
    assert page.url.endswith("/public")
    assert_chart_drawn(page, "chart-public")
    assert "شفافیت" in page.locator("h1").inner_text()
    assert page.locator("#chart-public").evaluate(REVERSED) is True  # read right to left
    shot(page, "public-fa")
    page.click("#lang-switch")
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("html").get_attribute("dir") == "ltr"
    assert page.locator("h1").inner_text().startswith("Transparency")
    assert_chart_drawn(page, "chart-public")
    assert page.locator("#chart-public").evaluate(REVERSED) is False
    shot(page, "public-en")
    csv = page.request.get(f"{live_portal.url}{page.locator('#csv-link').get_attribute('href')}")
    assert csv.status == 200 and csv.text().count("\n") == 31
    page.click("#lang-switch")
    assert page.locator("html").get_attribute("dir") == "rtl"


def _final_files(home: Path) -> dict[str, str]:
    folder = home / "statements" / PERIOD / "final-r1"
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in folder.rglob("*") if p.is_file()}


def _amounts(text: str) -> dict[str, int]:
    return {row["producer_id"]: int(row["amount_rial"])
            for row in csv.DictReader(io.StringIO(text))}


def test_admin_reviews_and_finalizes_in_the_browser(page, draft_portal) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{draft_portal.url}/public")
    assert page.locator("#no-final").is_visible()  # a draft is never published
    assert page.locator("#public-table").count() == 0
    log_in(page, draft_portal, "minister")
    page.goto(f"{draft_portal.url}/settlement")
    assert page.locator("#state").get_attribute("data-status") == "draft"
    assert page.locator("#finalize-form").count() == 0
    page.click("#review-link")
    page.wait_for_load_state("networkidle")
    assert page.url.startswith(f"{draft_portal.url}/settlement/review")
    page.click("#finalize-button")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/settlement?period={PERIOD}#state")
    record = json.loads((draft_portal.home / "ledger" / PERIOD / "final-r1.json").read_text())
    content_hash = record["seal"]["content_hash"]
    assert page.locator("#state").get_attribute("data-status") == "final"
    assert page.locator("#content-hash").inner_text() == content_hash
    assert page.locator("#draft-form").count() == 0
    assert page.locator("#settlement-table tbody tr").count() == 30
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "settlement")
    page.goto(f"{draft_portal.url}/public")
    assert page.locator("#public-state").get_attribute("data-status") == "final"
    assert page.locator("#content-hash").inner_text() == content_hash
    assert_chart_drawn(page, "chart-public")
    published = page.request.get(
        f"{draft_portal.url}{page.locator('#csv-link').get_attribute('href')}")
    sealed = (draft_portal.home / "statements" / PERIOD / "final-r1" / "summary.csv")
    assert _amounts(published.text()) == _amounts(sealed.read_text("utf-8"))


def test_a_final_month_refuses_a_later_draft(page, draft_portal) -> None:  # type: ignore[no-untyped-def]
    log_in(page, draft_portal, "minister")
    if Ledger(draft_portal.home).active_revision(PERIOD) is None:  # run on its own
        finalize_from_cli(draft_portal.home)
    before = _final_files(draft_portal.home)
    statement = page.request.get(f"{draft_portal.url}/producers/qom-univ/statements/{PERIOD}")
    assert statement.headers["x-pahna-status"] == "final-r1"
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "pahna_csrf")
    refused = page.request.post(f"{draft_portal.url}/settlement/draft",
                                form={"period": PERIOD, "csrf_token": csrf})
    assert refused.status == 409 and "is final" in refused.text()
    assert _final_files(draft_portal.home) == before
    again = page.request.get(f"{draft_portal.url}/producers/qom-univ/statements/{PERIOD}")
    assert again.body() == statement.body()
    page.goto(f"{draft_portal.url}/producers/qom-univ?period={PERIOD}")
    assert "نهایی" in page.locator(".statement-status").inner_text()  # final, in words


def test_only_the_ministry_finalizes_in_the_browser(page, live_portal) -> None:  # type: ignore[no-untyped-def]
    revisions = Ledger(live_portal.home).revisions(PERIOD)
    log_in(page, live_portal, "audit")
    assert page.goto(f"{live_portal.url}/settlement/review").status == 403
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "pahna_csrf")
    refused = page.request.post(f"{live_portal.url}/settlement/finalize", form={
        "period": PERIOD, "draft_sha256": "0" * 64, "csrf_token": csrf})
    assert refused.status == 403
    assert Ledger(live_portal.home).revisions(PERIOD) == revisions
