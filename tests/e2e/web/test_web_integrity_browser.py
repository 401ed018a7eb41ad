"""The review queue's charts drawn, and releasing a hold in the browser (Debian
chromium, Playwright) on a live portal; the released line is paid in the next payment
batch."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from tests.e2e.web.conftest import serving
from tests.inflated_month import INFLATED, inflated_final
from tests.unit.web.conftest import PASSWORDS, PERIOD

from pahna.payouts import export_payments

pytestmark = pytest.mark.slow


def test_a_reviewer_releases_a_hold_and_it_is_paid_next(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    workspace = inflated_final(tmp_path / "home")
    _, lines, _ = export_payments(workspace, PERIOD, tmp_path / "batch-1.csv")
    assert INFLATED not in {line.producer_id for line in lines}
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    try:
        with serving(workspace.home, "") as portal:
            page.goto(f"{portal.url}/login")
            page.fill("input[name=username]", "minister")
            page.fill("input[name=password]", PASSWORDS["minister"])
            page.click("#login-submit")
            page.wait_for_load_state("networkidle")
            page.goto(f"{portal.url}/integrity")
            item = page.locator(f"#hold-{PERIOD}-{INFLATED}")
            assert item.get_attribute("data-state") == "held"
            for kind in ("day", "month"):  # drawn: the producer's line has an extent
                box = item.locator(f"figure.chart-{kind} polyline.own").bounding_box()
                assert box is not None and box["width"] > 300
            assert item.locator("figure.chart-networks g.network-bar").count() >= 3
            item.locator("textarea[name=reason]").fill("a live event, checked with the ISP")
            item.locator("button.release").click()
            page.wait_for_load_state("networkidle")
            assert page.locator(f"#hold-{PERIOD}-{INFLATED}").get_attribute(
                "data-state") == "released"
    finally:
        context.close()
    second, paid, _ = export_payments(workspace, PERIOD, tmp_path / "batch-2.csv")
    assert [line.producer_id for line in paid] == [INFLATED]
    rows = list(csv.DictReader(second.open(encoding="utf-8")))
    assert [r["producer_id"] for r in rows] == [INFLATED]
