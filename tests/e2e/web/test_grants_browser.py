"""A whole call walked in headless Chromium against a live `pahna serve`: an officer opens
it; two firms and a student team apply with their proposals; three reviewers score, one
declares a conflict and is recused; the officer closes the call and publishes the award;
an agreement with three milestones is signed; the firm reports a milestone, the officer
accepts it, and its tranche appears in the next payment batch; the public board (and its
open data) shows each step."""

from __future__ import annotations

import csv
import json
import shutil
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from tests.e2e.web.conftest import LivePortal, pahna, serving
from tests.e2e.web.test_web_browser import shot
from tests.ibans import iban_with_check_digits

from pahna.calendar import jalali_date_text
from pahna.grants.ocds.schema import problems
from pahna.registry.database import open_registry
from pahna.registry.producers import list_producers, put_producer

pytestmark = pytest.mark.slow
PASSWORD = "grant-walk-1404"
PEOPLE = {"rayan": "applicant", "kavir": "applicant", "qom-team": "applicant",
          "rev-hosseini": "reviewer", "rev-karimi": "reviewer", "rev-moradi": "reviewer"}
FIRMS = (("rayan", "Rayan Software", 900_000_000), ("kavir", "Kavir Data", 800_000_000),
         ("qom-team", "Qom University Civic Tech Team", 400_000_000))
MARKS = {"rev-hosseini": (9, 7, 8), "rev-karimi": (8, None, 6), "rev-moradi": (9, 6, 7)}
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n%%EOF\n"
DAY_MS = 86_400_000


@pytest.fixture(scope="module")
def grant_portal(demo_home: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory
                 ) -> Iterator[LivePortal]:
    """The settlement demo with 1404-08 final, the grants demo round and the people."""
    home = tmp_path_factory.mktemp("grants") / "demo"
    shutil.copytree(demo_home[0], home)
    give_ibans(home)
    pahna("settle", "finalize", "--period", "1404-08", "--home", str(home))
    pahna("grants", "demo", "--home", str(home))
    for name, role in PEOPLE.items():
        pahna("users", "add", name, "--role", role, "--password-stdin", "--home", str(home),
              stdin=PASSWORD + "\n")
    with serving(home, demo_home[1]) as portal:
        yield portal


def give_ibans(home: Path) -> None:
    """The settlement demo's producers get IBANs (a payment batch needs every one)."""
    engine = open_registry(f"sqlite:///{home / 'registry.sqlite'}")
    with Session(engine) as session, session.begin():
        for number, producer in enumerate(list_producers(engine)):
            iban = iban_with_check_digits(f"017{number:019d}")
            put_producer(session, replace(producer, iban=iban), "test")
    engine.dispose()


def open_as(browser, portal: LivePortal, username: str | None):  # type: ignore[no-untyped-def]
    """A fresh browser context (its own cookies), logged in as `username` (None: public)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.goto(f"{portal.url}/lang/en?next=/grants")
    if username:
        page.goto(f"{portal.url}/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD if username in PEOPLE
                  else portal.password(username))
        page.click("#login-submit")
        page.wait_for_load_state("networkidle")
        assert page.locator("#user").inner_text().startswith(username)
    return context, page


def public_board(portal: LivePortal, browser) -> str:  # type: ignore[no-untyped-def]
    context, page = open_as(browser, portal, None)
    page.goto(f"{portal.url}/grants")
    text = page.content()
    context.close()
    return text


def test_a_whole_call_in_the_browser(grant_portal: LivePortal, browser) -> None:  # type: ignore[no-untyped-def]
    url, now = grant_portal.url, time.time_ns() // 1_000_000
    # 1. the officer opens a programme of its province, then the call in it
    context, page = open_as(browser, grant_portal, "qom")
    page.goto(f"{url}/grants")
    assert page.locator("form.programme-form").count() == 1  # Qom's only
    form = page.locator("#new-programme-IR-25")
    for name, value in (("programme_id", "qom-parking-1405"), ("title", "Qom parking 1405"),
                        ("title_fa", "پارک هوشمند قم ۱۴۰۵"), ("year", "1405"),
                        ("budget_rial", "3000000000")):
        form.locator(f"[name={name}]").fill(value)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert "qom-parking-1405" in page.locator("#programmes").inner_text()
    form = page.locator("#new-call")
    form.locator("select[name=programme_id]").select_option("qom-parking-1405")
    for name, value in (("call_id", "qom-walk"), ("title", "Smart parking for Qom"),
                        ("title_fa", "پارک هوشمند برای قم"),
                        ("opens", jalali_date_text(now - DAY_MS)),
                        ("closes", jalali_date_text(now + 20 * DAY_MS)),
                        ("max_award_rial", "1000000000"),
                        ("criteria", "impact:Impact:50;team:Team:30;cost:Cost:20"),
                        ("reviewers", "rev-hosseini, rev-karimi, rev-moradi")):
        form.locator(f"[name={name}]").fill(value)
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{url}/grants/calls/qom-walk")
    assert page.locator("#call-title").inner_text() == "Smart parking for Qom"
    context.close()
    assert "Smart parking for Qom" in public_board(grant_portal, browser)

    # 2. two firms and a student team apply, each with a proposal
    applications = {}
    for username, _name, amount in FIRMS:
        context, page = open_as(browser, grant_portal, username)
        page.goto(f"{url}/grants/calls/qom-walk")
        form = page.locator("#apply-form")
        form.locator("[name=requested_rial]").fill(str(amount))
        form.locator("[name=summary]").fill(f"Parking sensors by {username}")
        form.locator("[name=proposal]").set_input_files(
            {"name": f"{username} proposal.pdf", "mimeType": "application/pdf", "buffer": PDF})
        for box in form.locator("[name=declarations]").all():
            box.check()
        form.locator("button[type=submit]").click()
        page.wait_for_url(f"{url}/grants/applications/**")
        applications[username] = page.url.rsplit("/", 1)[1]
        assert f"{username} proposal.pdf" in page.content()
        context.close()
    context, page = open_as(browser, grant_portal, None)
    page.goto(f"{url}/grants/calls/qom-walk")
    assert page.locator("#application-count").inner_text() == "3"
    context.close()

    # 3. three reviewers: rev-karimi declares a conflict with Kavir Data and is recused
    for reviewer, marks in MARKS.items():
        context, page = open_as(browser, grant_portal, reviewer)
        page.goto(f"{url}/grants/mine")
        listed = page.locator("#my-applications").inner_text()
        assert all(app_id in listed for app_id in applications.values())
        for (username, _name, _amount), mark in zip(FIRMS, marks, strict=True):
            page.goto(f"{url}/grants/applications/{applications[username]}")
            declaration = page.locator("#declaration-form")
            if mark is None:
                declaration.locator("[name=conflict]").check()
                declaration.locator("[name=reason]").fill("I advised Kavir Data last year")
            declaration.locator("button[type=submit]").click()
            page.wait_for_load_state("networkidle")
            if mark is None:
                assert "Recused" in page.locator("#scores").inner_text()
                continue
            score = page.locator("#score-form")
            for criterion in ("impact", "team", "cost"):
                score.locator(f"[name=mark_{criterion}]").fill(str(mark))
            score.locator("button[type=submit]").click()
            page.wait_for_load_state("networkidle")
            scores = page.locator("#scores").inner_text()
            assert f"{reviewer}: impact {mark}" in scores
            assert "hidden until the call closes" in scores
            others = [r for r in MARKS if r != reviewer]
            assert not any(f"{r}: impact" in scores for r in others)
        context.close()

    # 4. the officer closes the call, publishes the award, signs the agreement
    context, page = open_as(browser, grant_portal, "qom")
    page.goto(f"{url}/grants/calls/qom-walk")
    page.locator("#close-form [name=reason]").fill("All proposals reviewed")
    page.locator("#close-form button").click()
    page.wait_for_load_state("networkidle")
    ranking = page.locator("#ranking").inner_text()
    assert ranking.index("Rayan Software") < ranking.index("Kavir Data") and "rev-karimi" in ranking
    page.goto(f"{url}/grants/applications/{applications['rayan']}")
    page.locator("#award-form [name=amount_rial]").fill("900000000")
    page.locator("#award-form [name=reasons]").fill("Ranked first by the committee")
    page.locator("#award-form button").click()
    page.wait_for_load_state("networkidle")
    form = page.locator("#agreement-form")
    for n, (title, days, tranche) in enumerate((("Design", 30, 300_000_000),
                                                ("Pilot", 90, 300_000_000),
                                                ("Roll-out", 180, 300_000_000)), start=1):
        form.locator(f"[name=title_{n}]").fill(title)
        form.locator(f"[name=due_{n}]").fill(jalali_date_text(now + days * DAY_MS))
        form.locator(f"[name=tranche_{n}]").fill(str(tranche))
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("#agreement .milestone").count() == 3
    context.close()
    board = public_board(grant_portal, browser)
    assert "Ranked first by the committee" in board and "900,000,000" in board

    # 5. the firm reports the first milestone; the officer accepts it
    context, page = open_as(browser, grant_portal, "rayan")
    page.goto(f"{url}/grants/applications/{applications['rayan']}")
    page.locator("#milestone-m1 .report-form input[name=text]").fill("Design approved")
    page.locator("#milestone-m1 .report-form button").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("#milestone-m1 .decision").inner_text() == "pending"
    context.close()
    context, page = open_as(browser, grant_portal, "qom")
    page.goto(f"{url}/grants/applications/{applications['rayan']}")
    page.locator("#milestone-m1 .decision-form input[name=reason]").fill("Checked")
    page.locator("#milestone-m1 .decision-form button[value=true]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("#milestone-m1 .decision").inner_text() == "accepted"
    context.close()

    # 6. its tranche is in the next payment batch, and the public board says so
    batch = grant_portal.home / "batch.csv"
    pahna("payments", "export", "--period", "1404-08", "--out", str(batch),
          "--home", str(grant_portal.home))
    every = list(csv.DictReader(batch.open(encoding="utf-8")))
    rows = [r for r in every if r["producer_id"] == "rayan-soft"]
    reference = "PAHNA-1404-08-R1-pay-agr-award-qom-walk-rayan-soft-m1"
    assert [(r["amount"], r["reference"]) for r in rows] == [("300000000", reference)]
    context, page = open_as(browser, grant_portal, None)
    page.goto(f"{url}/grants")
    agreements = page.locator("#agreements").inner_text()
    assert "Design: 300,000,000 — accepted · batched PAHNA-1404-08-R1" in agreements
    context.close()

    # 7. the bank confirms the batch: the tranche is paid, and the board says so in Persian
    confirmation = grant_portal.home / "bank.csv"
    with confirmation.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("reference", "amount", "status"))
        writer.writerows((r["reference"], r["amount"], "paid") for r in every)
    pahna("payments", "confirm", str(confirmation), "--home", str(grant_portal.home))
    context, page = open_as(browser, grant_portal, None)
    page.goto(f"{url}/grants")
    assert "Design: 300,000,000 — accepted · paid PAHNA-1404-08-R1" in page.locator(
        "#agreements").inner_text()
    page.goto(f"{url}/lang/fa?next=/grants")
    assert "پذیرفته" in page.locator("#agreements").inner_text()
    assert "پارک هوشمند برای قم" in page.locator("#calls").inner_text()
    provinces = page.locator("#figures td.province").all_inner_texts()
    assert provinces and set(provinces) == {"قم"}  # no Latin name on the Persian page
    assert "Qom" not in page.locator("#figures").inner_text()
    shot(page, "grants")
    context.close()
    with urllib.request.urlopen(f"{url}/api/grants/records.json") as response:
        records = json.loads(response.read())
    assert problems(records, "record-package") == []
    (walk,) = [r for r in records["records"] if r["ocid"].endswith("-qom-walk")]
    tags = [tag for release in walk["releases"] for tag in release["tag"]]
    assert tags[0:2] == ["planning", "tender"] and tags.count("tenderUpdate") == 3
    assert {"tenderAmendment", "award", "contract", "implementation"} <= set(tags)
