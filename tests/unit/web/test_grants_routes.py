"""The grant board's isolation, walked from the table in docs/grants.md: every grant route
is in it and declares exactly one `allow` door, and each caller, including those of
another province, another applicant and a reviewer not on the call, gets the status the
table says (`pass`: the door lets it through; the step may still refuse, never with
401/403). docs/portal.md's route table walks the same routes by role and token scope."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from tests.unit.web.grantportal import RAYAN_APP, build, log_in

from pahna.grants.board import load_board
from pahna.registry.database import open_registry
from pahna.web.app import create_app
from pahna.web.auth import CSRF_COOKIE
from pahna.web.permissions import Door, all_routes
from pahna.workspace import open_workspace

DOCS = Path(__file__).resolve().parents[3] / "docs" / "grants.md"
CALLERS = {"public": None, "admin": "minister", "officer": "qom", "officer-x": "teh",
           "auditor": "audit", "applicant": "rayan", "applicant-x": "kavir",
           "reviewer": "rev-hosseini", "reviewer-x": "rev-other"}
PARAMS = {"call_id": "call", "application_id": "app", "document_id": "doc",
          "agreement_id": "agr", "milestone_id": "m", "period": "period", "code": "province"}
FORMS = {"/grants/calls": {"programme_id": "qom-it-1404"}}
"""Form fields a door reads to find its target."""


def table() -> dict[str, dict[str, str]]:
    rows = {}
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        if re.match(r"^\| (GET|POST) /", line):
            cells = [c.strip() for c in line.strip("|").split("|")]
            rows[cells[0]] = dict(zip(CALLERS, cells[1:], strict=True))
    return rows


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    home = build(tmp_path_factory.mktemp("routes") / "home").home
    with TestClient(create_app(open_workspace(home)), raise_server_exceptions=False) as client:
        yield client


def key_of(route: APIRoute) -> str:
    path = route.path
    for name, short in PARAMS.items():
        path = path.replace("{" + name + "}", "{" + short + "}")
    return f"{next(iter(route.methods))} {path}"


def test_every_grant_route_is_in_the_table_and_declares_one_door(portal: TestClient) -> None:
    routes = [r for r in all_routes(portal.app.routes)  # type: ignore[attr-defined]
              if isinstance(r, APIRoute) and r.path.startswith(("/grants", "/api/grants"))]
    doors = {key_of(r): [d for d in r.dependant.dependencies if isinstance(d.call, Door)]
             for r in routes}
    assert sorted(doors) == sorted(table())
    assert all(len(found) == 1 for found in doors.values()), doors


@pytest.fixture(scope="module")
def clients(portal: TestClient) -> Iterator[dict[str, TestClient]]:
    made = {}
    for caller, username in CALLERS.items():
        client = TestClient(portal.app, raise_server_exceptions=False)
        client.get("/grants")  # the CSRF cookie
        if username:
            log_in(client, username)
        made[caller] = client
    yield made


def concrete(route: str, portal: TestClient) -> str:
    home = portal.app.state.portal.workspace.home  # type: ignore[attr-defined]
    board = load_board(open_registry(f"sqlite:///{home / 'registry.sqlite'}"))
    values = {"call": "qom-eservices", "app": RAYAN_APP,
              "doc": board.documents(RAYAN_APP)[0].id, "agr": "agr-rayan-soft", "m": "m3",
              "period": "1404-07", "province": "IR-25"}
    for short, value in values.items():
        route = route.replace("{" + short + "}", value)
    return route


@pytest.mark.parametrize("route", sorted(table()))
def test_each_caller_gets_what_the_table_says(route: str, portal: TestClient,
                                              clients: dict[str, TestClient]) -> None:
    method, path = route.split(" ", 1)
    url = concrete(path, portal)
    wrong = []
    for caller, expected in table()[route].items():
        client = clients[caller]
        if method == "GET":
            answer = client.get(url, follow_redirects=False)
        else:
            answer = client.post(url, data={"csrf_token": client.cookies.get(CSRF_COOKIE, ""),
                                            **FORMS.get(path, {})}, follow_redirects=False)
        status = answer.status_code
        if (expected == "pass" and status in (401, 403)) or (
                expected != "pass" and str(status) != expected):
            wrong.append(f"{caller}: {status} (table: {expected})")
    assert not wrong, f"{route}: " + "; ".join(wrong)
