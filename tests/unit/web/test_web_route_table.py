"""The route table of docs/portal.md is the specification: every route the app serves has
a row, every route declares its permission, and every cell (a request as anonymous, as
each role, and with an administrator's token of each scope) answers the status the
table says."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.routing import BaseRoute, Mount
from tests.unit.web.conftest import PASSWORDS, build_workspace
from tests.unit.web.grantportal import (
    ACCOUNTS,
    PASSWORD,
    PDF,
    RAYAN_APP,
    add_board,
    teh_application,
)

from pahna.grants import process
from pahna.grants.board import load_board
from pahna.parties import ContentItem
from pahna.registry.catalogue import put_item
from pahna.registry.database import open_registry
from pahna.registry.models import ClaimRow
from pahna.web.accounts import digest
from pahna.web.app import create_app
from pahna.web.disputes import file_dispute
from pahna.web.permissions import all_routes, undeclared_routes
from pahna.web.tokens import issue_token, token_id
from pahna.workspace import Workspace

DOC = Path(__file__).resolve().parents[3] / "docs" / "portal.md"
PERIOD = "1404-08"
USERS = {"admin": "minister", "officer": "qom", "producer": "uni", "auditor": "audit",
         "applicant": "rayan", "reviewer": "rev-hosseini"}
SCOPES = ("read", "disputes:write", "registry:write", "settlement:write", "accounts:write",
          "grants:write")
GRANT_ACCOUNTS = tuple(a for a in ACCOUNTS if a.role in ("applicant", "reviewer"))
DAY_MS = 86_400_000
CATALOGUE = (ContentItem("uni-course", "qom-univ", "Course", "درس", "education", "fa", "IR-25"),
             ContentItem("teh-daily", "teh-news", "Daily", "روزانه", "news", "fa", "IR-23"))
ENTRY = {"title": "Table entry", "title_fa": "", "category": "news", "language": "fa"}


def read_table() -> tuple[list[str], list[tuple[str, list[str]]]]:
    text = DOC.read_text(encoding="utf-8")
    body = text.split("<!-- route-table -->")[1].split("<!-- /route-table -->")[0]
    lines = [line.strip() for line in body.strip().splitlines()]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    rows = []
    for line in lines[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        rows.append((cells[0], cells[1:]))
    return header[1:], rows


COLUMNS, ROWS = read_table()


def test_the_table_has_the_columns_the_issue_asks_for() -> None:
    assert ["anonymous", *USERS, *SCOPES] == COLUMNS


def _request_path(request: str) -> tuple[str, str]:
    method, path = request.split(" ")[:2]
    return method, path


def _matches(route: BaseRoute, method: str, path: str) -> bool:
    if isinstance(route, Mount):
        return path.startswith(route.path + "/")
    methods = getattr(route, "methods", None) or {"GET"}
    regex = getattr(route, "path_regex", None)
    return method in methods and regex is not None and bool(regex.match(path))


def test_every_route_declares_a_permission_and_has_rows(settled: Workspace) -> None:
    app = create_app(settled)
    assert undeclared_routes(app) == []
    routes = list(all_routes(app.routes))
    covered = {id(route) for request, _ in ROWS for route in routes
               if _matches(route, *_request_path(request))}
    missing = [getattr(r, "path", repr(r)) for r in routes if id(r) not in covered]
    assert missing == [], "routes with no row in docs/portal.md's route table"


def test_a_route_that_declares_nothing_is_caught(settled: Workspace) -> None:
    app = create_app(settled)

    @app.get("/api/forgotten")
    def forgotten() -> dict[str, str]:
        return {"open": "to anyone"}

    assert undeclared_routes(app) == ["GET /api/forgotten"]


# -- the cells ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def walked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FastAPI, dict[str, str]]]:
    """The example workspace, its app, the tokens (one per scope) and the fill-ins."""
    workspace = build_workspace(tmp_path_factory.mktemp("routes") / "home")
    add_board(workspace, GRANT_ACCOUNTS)
    teh_app = teh_application(workspace)
    engine = open_registry(workspace.registry_url)
    file_dispute(engine, "qom-univ", PERIOD, "dispute 1", "uni")
    for item in CATALOGUE:
        put_item(engine, item)
    tokens = {scope: issue_token(engine, "minister", (scope,)) for scope in SCOPES}
    with Session(engine) as session:
        owned = {pid: session.scalars(select(ClaimRow.value).where(
            ClaimRow.producer_id == pid)).first() or "" for pid in ("qom-univ", "teh-news")}
    table_app = process.application_id("qom-table-call", "rayan-soft")
    fill = {"TV-TOKEN": token_id(digest(issue_token(engine, "tv", ("read",)))),
            "RAYAN-APP": RAYAN_APP, "TEH-APP": teh_app, "TABLE-APP": table_app,
            "RAYAN-DOC": load_board(engine).documents(RAYAN_APP)[0].id,
            **{f"prefix:{k}": v for k, v in owned.items()},
            **{f"token:{k}": v for k, v in tokens.items()}}
    yield create_app(workspace), fill


def _grant_body(request: str) -> dict[str, object] | None:
    """Bodies of the grant board's writes (None: not one of them)."""
    now = time.time_ns() // 1_000_000
    if request.startswith("POST /grants/provinces/"):
        return {"data": {"programme_id": f"table-{request.split('/')[3].lower()}",
                         "title": "Table programme", "year": "1405",
                         "budget_rial": "5000000000"}}
    if request.startswith("POST /grants/calls ("):
        programme = request.split("(")[1].rstrip(")")
        return {"data": {
            "call_id": "qom-table-call" if programme.startswith("table-ir-25") else "x-call",
            "programme_id": programme, "title": "Table call",
            "opens": _iso(now - DAY_MS), "closes": _iso(now + 20 * DAY_MS),
            "max_award_rial": "1000000000", "criteria": "impact:Impact:60;cost:Cost:40",
            "reviewers": "rev-hosseini, rev-karimi"}}
    if request.endswith("/apply"):
        return {"data": {"requested_rial": "500000000", "summary": "From the table",
                         "declarations": list(process.DECLARATIONS)},
                "files": {"proposal": ("proposal.pdf", PDF, "application/pdf")}}
    bodies: dict[str, dict[str, object]] = {
        "/declaration": {"data": {"reason": ""}},
        "/score": {"data": {"mark_impact": "8", "mark_cost": "6"}},
        "/withdraw": {"data": {"reason": "changed our plans"}},
        "/close": {"data": {"reason": "closing early"}},
        "/cancel": {"data": {"reason": "the budget moved"}},
        "/awards": {"data": {"application_id": RAYAN_APP, "amount_rial": "6500000000",
                             "reasons": "Ranked first", "change_reason": "table"}},
        "/agreements": {"data": {"award_id": "award-rayan-soft", "title_1": "One",
                                 "due_1": _iso(now + DAY_MS), "tranche_1": "1000"}},
        "/report": {"data": {"text": "Done"}},
        "/decision": {"data": {"accept": "true", "reason": "checked"}},
    }
    return next((body for end, body in bodies.items() if request.endswith(end)), None)


def _catalogue_body(request: str) -> dict[str, object] | None:
    """Bodies of the catalogue's writes (None: not one of them)."""
    if request.startswith("PUT /api/producers/"):
        province = "IR-23" if request.endswith("teh-daily") else "IR-25"
        return {"json": {**ENTRY, "province": province}}
    if request.startswith("POST /catalogue/") and request.endswith("/items"):
        owner = request.split("/")[2]
        item = next(i for i in CATALOGUE if i.producer_id == owner)
        return {"data": {**ENTRY, "content_id": item.id, "province": item.province}}
    if request.startswith("POST /catalogue/") and request.endswith("/claims"):
        return {"data": {"content_id": "uni-course", "host": "uni.example.ir/table",
                         "valid_from": "1404-10"}}
    if request.startswith("POST /catalogue/"):  # retire, decide
        return {"data": {}}
    return None


def _iso(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).isoformat()


def _body(request: str, fill: dict[str, str]) -> dict[str, object]:
    """A well-formed body for each write of the table (a new write needs one here)."""
    grant = _grant_body(request) if "/grants/" in request else None
    if grant is not None:
        return grant
    if request.startswith("POST /registry/claims"):
        owner = request.split("(")[1].rstrip(")")
        return {"data": {"producer_id": owner, "prefix": fill[f"prefix:{owner}"],
                         "valid_from": "1404-01"}}
    catalogue = _catalogue_body(request)
    if catalogue is not None:
        return catalogue
    if request.startswith("POST /api/producers/") and request.endswith("/claims"):
        owner = request.split("/")[3]
        return {"json": {"prefix": fill[f"prefix:{owner}"], "valid_from": "1404-01"}}
    bodies: dict[str, dict[str, object]] = {
        "POST /login": {"data": {"username": "minister", "password": PASSWORDS["minister"]}},
        "POST /logout": {"data": {}},
        "POST /disputes/1/answer": {"data": {"answer": "we are looking into it"}},
        "POST /settlement/draft": {"data": {"period": PERIOD}},
        "POST /settlement/finalize": {"data": {"period": PERIOD, "draft_sha256": "0" * 64}},
        "POST /integrity/1404-08/qom-univ": {"data": {"decision": "release",
                                                      "reason": "checked with the ISP"}},
        "POST /accounts/tv/password": {"data": {"password": "a-new-password-1"}},
        "POST /api/disputes/1/answer": {"json": {"answer": "we are looking into it"}},
        "POST /api/disputes/999/answer": {"json": {"answer": "nobody reads this"}},
    }
    if request.endswith("/disputes") and request.startswith("POST /api/"):
        return {"json": {"period": PERIOD, "message": "the bytes look low"}}
    if request.endswith("/disputes") and request.startswith("POST /producers/"):
        return {"data": {"period": PERIOD, "message": "the bytes look low"}}
    if request.startswith("POST /accounts/") and request.endswith(("/disable", "/enable",
                                                                   "/revoke")):
        return {"data": {}}
    return bodies[request]


def _caller(app: FastAPI, column: str, fill: dict[str, str]) -> TestClient:
    client = TestClient(app, raise_server_exceptions=False)
    client.get("/login")
    if column in USERS:
        user = USERS[column]
        answer = client.post("/login", follow_redirects=False, data={
            "username": user, "password": PASSWORDS.get(user, PASSWORD),
            "csrf_token": client.cookies.get("pahna_csrf", "")})
        assert answer.status_code == 303, answer.text
    elif column in SCOPES:
        client.headers["Authorization"] = f"Bearer {fill['token:' + column]}"
    return client


def _filled(request: str, fill: dict[str, str]) -> str:
    """The request with its placeholders (upper-case fill keys) replaced."""
    for key, value in fill.items():
        if key.isupper():
            request = request.replace(key, value)
    return request


CELLS = [(request, column, expected) for request, cells in ROWS
         for column, expected in zip(COLUMNS, cells, strict=True)]


def test_every_cell_answers_as_the_table_says(walked) -> None:  # type: ignore[no-untyped-def]
    app, fill = walked
    wrong = []
    callers: dict[str, TestClient] = {}
    for request, column, expected in CELLS:  # in table order: writes build on each other
        method, path = _request_path(_filled(request, fill))
        if column not in callers:
            callers[column] = _caller(app, column, fill)
        client = callers[column]
        if request in ("POST /login", "POST /logout"):  # these end or replace the session
            callers.pop(column)
        csrf = client.cookies.get("pahna_csrf", "")
        kwargs: dict[str, object] = {"follow_redirects": False}
        if method in ("POST", "PUT"):
            body = _body(request, fill)
            if "files" in body:
                kwargs["files"] = body["files"]
            if "data" in body:
                kwargs["data"] = {**body["data"], "csrf_token": csrf}  # type: ignore[dict-item]
            else:
                kwargs["json"] = body["json"]
                kwargs["headers"] = {"X-CSRF-Token": csrf}
        answer = client.request(method, path, **kwargs)  # type: ignore[arg-type]
        got = str(answer.status_code)
        if expected == "401" and not path.startswith("/api/") and got == "303":
            got = "401" if answer.headers["location"].startswith("/login") else got
        if got != expected:
            wrong.append(f"{request} as {column}: {got}, the table says {expected}")
    assert wrong == []


def test_the_table_covers_reads_isolated_from_other_producers_and_the_public() -> None:
    """What the first attack found holding (44 of 44 reads refused) is in the table: no
    producer page or API read is open to the public or to another producer."""
    producer_reads = [(request, dict(zip(COLUMNS, cells, strict=True)))
                      for request, cells in ROWS
                      if request.startswith("GET") and re.search(r"/producers/[a-z]", request)]
    assert len(producer_reads) >= 14
    for request, cells in producer_reads:
        assert cells["anonymous"] == "401", request
        if "teh-news" in request or "no-such" in request:
            assert cells["producer"] == "404" and cells["officer"] == "404", request
