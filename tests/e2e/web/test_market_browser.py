"""The content market in headless Chromium against a live `pahna serve`: the serve
process publishes the final month's figures itself (its builder thread), the market
pages draw their charts in Persian and in English, and a producer edits its own
catalogue entry and is refused another's. One browser session, the small hand-made month
of tests/marketmonth.py."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from tests.e2e.web.conftest import serving
from tests.e2e.web.test_web_browser import assert_chart_drawn, shot
from tests.marketmonth import build_market_workspace

from pahna.registry.database import open_registry
from pahna.web.accounts import Account, add_account
from pahna.workspace import init_workspace

pytestmark = pytest.mark.slow
PASSWORD = "film-house-pass-1404"


def _wait_for_figures(page, url: str, seconds: float = 90) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        page.goto(f"{url}/market")
        if page.locator("#top-bytes").count():
            return
        time.sleep(1)
    raise AssertionError("the portal did not publish the final month's market figures")


def test_market_pages_and_a_producers_catalogue(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    workspace = build_market_workspace(init_workspace(tmp_path / "home"))
    add_account(open_registry(workspace.registry_url),
                Account("fh", "producer", producer_id="film-house"), PASSWORD)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fa-IR")
    page = context.new_page()
    with serving(workspace.home, "") as portal:
        _wait_for_figures(page, portal.url)
        assert page.locator("html").get_attribute("dir") == "rtl"
        assert "آبان ۱۴۰۴" in page.locator("h1").inner_text()
        first = page.locator("#top-bytes tbody tr").first.inner_text()
        assert "کینو" in first and "۹۱۹" in first  # kino's 919 bytes, in Persian digits
        assert_chart_drawn(page, "chart-market-bytes")
        assert_chart_drawn(page, "chart-market-clients")
        shot(page, "market")
        page.click("#lang-switch")
        page.wait_for_load_state("networkidle")
        assert page.locator("html").get_attribute("dir") == "ltr"
        assert "Kino" in page.locator("#top-bytes tbody tr").first.inner_text()
        assert "919" in page.locator("#top-bytes tbody tr").first.inner_text()
        assert_chart_drawn(page, "chart-market-bytes")
        page.click("#top-clients tbody tr >> nth=0 >> a")
        page.wait_for_load_state("networkidle")
        assert page.locator("#item-title").inner_text() == "Live radio"
        assert_chart_drawn(page, "chart-item-bytes")
        assert_chart_drawn(page, "chart-item-clients")

        page.goto(f"{portal.url}/login")
        page.fill("input[name=username]", "fh")
        page.fill("input[name=password]", PASSWORD)
        page.click("#login-submit")
        page.wait_for_load_state("networkidle")
        page.goto(f"{portal.url}/catalogue/film-house")
        page.fill("#entry-form input[name=content_id]", "kino")
        page.fill("#entry-form input[name=title]", "Kino, restored")
        page.select_option("#entry-form select[name=category]", "video")
        page.click("#entry-form button[type=submit]")
        page.wait_for_load_state("networkidle")
        assert "Kino, restored" in page.locator("#item-kino").inner_text()
        assert page.goto(f"{portal.url}/catalogue/radio-b").status == 404
        page.goto(f"{portal.url}/catalogue/film-house")
        page.eval_on_selector("#entry-form", "f => f.action = '/catalogue/radio-b/items'")
        page.fill("#entry-form input[name=content_id]", "live-radio")
        with page.expect_response(lambda r: r.url.endswith("/catalogue/radio-b/items")) as sent:
            page.click("#entry-form button[type=submit]")
        assert sent.value.status == 404
    context.close()
