"""The grant board's portal for the web tests: a workspace holding the demo round, a
call open now in Qom and one in Tehran, and an account for each kind of caller."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient

from pahna.grants import process
from pahna.grants.board import load_board
from pahna.grants.demo import CRITERIA, DAY_MS, REVIEWERS, run_grants_demo
from pahna.grants.documents import DocumentStore, attach, document_id
from pahna.grants.history import Author
from pahna.grants.models import Applicant, Application, Call, Programme
from pahna.registry.database import open_registry
from pahna.web.accounts import Account, add_account
from pahna.web.auth import CSRF_COOKIE
from pahna.workspace import Workspace, init_workspace

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n"
PASSWORD = "grant-secret-1404"
ACCOUNTS = (Account("minister", "admin"), Account("qom", "officer", province="IR-25"),
            Account("teh", "officer", province="IR-23"), Account("audit", "auditor"),
            Account("rayan", "applicant"), Account("kavir", "applicant"),
            Account("qom-team", "applicant"), Account("noor", "applicant"),
            Account("teh-firm", "applicant"), Account("rev-other", "reviewer"),
            *(Account(r, "reviewer") for r in REVIEWERS))
NOW = time.time_ns() // 1_000_000
RAYAN_APP = process.application_id("qom-eservices", "rayan-soft")
KAVIR_APP = process.application_id("qom-eservices", "kavir-data")


def build(home: Path) -> Workspace:
    workspace = init_workspace(home)
    add_board(workspace, ACCOUNTS)
    return workspace


def add_board(workspace: Workspace, accounts: tuple[Account, ...]) -> None:
    """The demo round, a call open now in Qom and one in Tehran, and `accounts`."""
    engine = open_registry(workspace.registry_url)
    run_grants_demo(engine, DocumentStore(workspace.documents_dir))
    author = Author("test")
    process.put_applicant(engine, load_board(engine).applicant("noor-systems").model_copy(
        update={"account": "noor"}), author)
    process.put_call(engine, Call(
        id="qom-open", programme_id="qom-it-1404", title="Open now", criteria=CRITERIA,
        opens_ms=NOW - DAY_MS, closes_ms=NOW + 20 * DAY_MS, max_award_rial=2_000_000_000,
        reviewers=REVIEWERS), author)
    process.put_programme(engine, Programme(
        id="teh-it-1405", title="Tehran IT 1405", province="IR-23", year=1405,
        budget_rial=10_000_000_000), author)
    process.put_call(engine, Call(
        id="teh-open", programme_id="teh-it-1405", title="Tehran call", criteria=CRITERIA,
        opens_ms=NOW - DAY_MS, closes_ms=NOW + 20 * DAY_MS, max_award_rial=1_000_000_000,
        reviewers=("rev-other",)), author)
    process.put_applicant(engine, Applicant(
        id="teh-firm", kind="organisation", name="Tehran Firm", province="IR-23",
        registration_number="10101010101", size="small", account="teh-firm"), author)
    for account in accounts:
        add_account(engine, account, PASSWORD)


def teh_application(workspace: Workspace) -> str:
    """Tehran's firm applies to Tehran's open call (an application of another province);
    returns its id."""
    engine = open_registry(workspace.registry_url)
    app_id = process.application_id("teh-open", "teh-firm")
    author = Author("web:teh-firm")
    attach(engine, DocumentStore(workspace.documents_dir), app_id, "proposal", "p.pdf", PDF,
           10 * 2**20, author)
    process.submit(engine, Application(
        id=app_id, call_id="teh-open", applicant_id="teh-firm", requested_rial=500_000_000,
        summary="Tehran", documents=(document_id(app_id, "proposal"),),
        declarations=process.DECLARATIONS), author)
    return app_id


def log_in(client: TestClient, username: str) -> TestClient:
    client.get("/login")
    response = client.post("/login", data={
        "username": username, "password": PASSWORD,
        "csrf_token": client.cookies.get(CSRF_COOKIE, "")}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return client


