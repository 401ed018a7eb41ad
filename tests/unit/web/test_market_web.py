"""The content market in the portal, on the hand-made final month of tests/marketmonth.py:
the public pages (Persian and English) and API read the published figures; open data is
formula-safe; producers edit only their own catalogue entries; a host claim on an entry
is a request until the ministry approves it."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from tests.marketmonth import EXPECTED, PERIOD, build_market_workspace
from tests.unit.web.conftest import log_in

from pahna.market.build import build_month
from pahna.registry.audit import audit_log
from pahna.registry.catalogue import list_items, list_requests
from pahna.registry.claims import list_claims
from pahna.registry.database import open_registry
from pahna.web.accounts import Account, add_account
from pahna.web.app import create_app
from pahna.web.auth import CSRF_COOKIE
from pahna.workspace import Workspace, init_workspace

PASSWORDS = {"minister": "admin-secret-1", "fh": "film-secret-1"}


@pytest.fixture(scope="module")
def market_workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    workspace = build_market_workspace(init_workspace(tmp_path_factory.mktemp("mw") / "home"))
    build_month(workspace, PERIOD)
    engine = open_registry(workspace.registry_url)
    add_account(engine, Account("minister", "admin"), PASSWORDS["minister"])
    add_account(engine, Account("fh", "producer", producer_id="film-house"), PASSWORDS["fh"])
    return workspace


@pytest.fixture
def client(market_workspace: Workspace) -> Iterator[TestClient]:
    with TestClient(create_app(market_workspace), raise_server_exceptions=False) as c:
        yield c


def test_the_top_items_by_bytes_and_by_client_networks(client: TestClient) -> None:
    top = client.get("/api/market/top").json()
    assert top["period"] == PERIOD
    assert [(i["content_id"], i["bytes"]) for i in top["items"]] == [
        ("kino", 919), ("live-radio", 800), ("akhbar", 102)]
    by_clients = client.get("/api/market/top", params={"measure": "client_networks"}).json()
    assert [i["content_id"] for i in by_clients["items"]] == ["live-radio", "akhbar", "kino"]
    qom = client.get("/api/market/top", params={"province": "IR-25", "category": "news"})
    assert [i["content_id"] for i in qom.json()["items"]] == ["akhbar"]
    assert client.get("/api/market/top", params={"period": "1404-07"}).status_code == 404
    assert client.get("/api/market/top", params={"measure": "x"}).status_code == 422


def test_pages_in_persian_and_english(client: TestClient) -> None:
    page = client.get("/market")
    assert page.status_code == 200
    assert 'dir="rtl"' in page.text and "کینو" in page.text and "آبان ۱۴۰۴" in page.text
    assert 'id="chart-market-bytes"' in page.text
    client.get("/lang/en")
    page = client.get("/market")
    assert 'dir="ltr"' in page.text and "Kino" in page.text and "Aban 1404" in page.text
    item = client.get("/market/items/kino")
    assert item.status_code == 200 and 'id="chart-item-bytes"' in item.text
    province = client.get("/market/provinces/IR-23")
    assert "Live radio" in province.text and "Quiet" in province.text
    assert "Kino" not in province.text
    assert client.get("/market/items/no-such").status_code == 404
    assert client.get("/market/items/..%2Fetc").status_code == 404
    assert client.get("/market/provinces/IR-99").status_code == 404


def test_an_items_trend(client: TestClient) -> None:
    item = client.get("/api/market/items/live-radio").json()
    assert item["trend"] == [{"period": PERIOD, "bytes": 800, "client_networks": 2}]
    assert (item["item"]["producer_id"], item["item"]["category"]) == ("radio-b", "audio")


def test_open_data_csv_is_formula_safe_and_matches_json(client: TestClient) -> None:
    text = client.get("/api/market/figures.csv").text
    rows = list(csv.DictReader(io.StringIO(text)))
    figures = {r["content_id"]: (int(r["bytes"]), int(r["client_networks"])) for r in rows}
    assert figures == EXPECTED
    assert next(r for r in rows if r["content_id"] == "akhbar")["title"] == "'=News"
    data = client.get("/api/market/figures.json").json()
    assert {i["content_id"]: (i["bytes"], i["client_networks"])
            for i in data["months"][0]["items"]} == EXPECTED


def _form(client: TestClient, path: str, **fields: str) -> int:
    response = client.post(path, data={**fields, "csrf_token": client.cookies.get(
        CSRF_COOKIE, "")}, follow_redirects=False)
    return response.status_code


def test_a_producer_edits_its_own_entries_and_no_other(client: TestClient,
                                                        market_workspace: Workspace) -> None:
    log_in(client, "fh", PASSWORDS["fh"])
    entry = {"title": "Kino", "title_fa": "کینوی تازه", "category": "video",
             "language": "fa", "province": "IR-25"}
    assert _form(client, "/catalogue/film-house/items", content_id="kino", **entry) == 303
    engine = open_registry(market_workspace.registry_url)
    assert {i.id: i.title_fa for i in list_items(engine)}["kino"] == "کینوی تازه"
    assert any(e.action == "content.update" and e.actor == "web:fh"
               and e.entity == "content:kino" for e in audit_log(engine))
    # another producer's entry: by the form, by the id in the URL, by the API
    assert _form(client, "/catalogue/radio-b/items", content_id="live-radio", **entry) == 404
    assert _form(client, "/catalogue/film-house/items", content_id="live-radio",
                 **entry) == 404
    assert _form(client, "/catalogue/film-house/items/live-radio/retire") == 404
    put = client.put("/api/producers/film-house/catalogue/live-radio", json=entry,
                     headers={"X-CSRF-Token": client.cookies.get(CSRF_COOKIE, "")})
    assert put.status_code == 404
    assert {i.id: i.producer_id for i in list_items(engine)}["live-radio"] == "radio-b"
    assert client.get("/catalogue/radio-b").status_code == 404
    assert _form(client, "/catalogue/film-house/items/akhbar/retire") == 303
    assert {i.id: i.status for i in list_items(engine)}["akhbar"] == "withdrawn"


def test_a_host_claim_is_a_request_until_the_ministry_approves(
        client: TestClient, market_workspace: Workspace) -> None:
    engine = open_registry(market_workspace.registry_url)
    log_in(client, "fh", PASSWORDS["fh"])
    assert _form(client, "/catalogue/film-house/claims", content_id="kino",
                 host="kino.example.ir", valid_from="1404-10") == 303
    request = next(r for r in list_requests(engine, status="pending")
                   if r.value == "kino.example.ir")
    assert not any(c.spec.value == "kino.example.ir" for c in list_claims(engine))
    assert _form(client, f"/catalogue/requests/{request.id}/decide", approve="true") == 403
    log_in(client, "minister", PASSWORDS["minister"])
    assert _form(client, f"/catalogue/requests/{request.id}/decide", approve="true") == 303
    assert any(c.spec.value == "kino.example.ir" and c.spec.content_id == "kino"
               for c in list_claims(engine))


def test_bad_ids_and_hosts_are_refused_at_the_edge(client: TestClient,
                                                   market_workspace: Workspace) -> None:
    """An id with a trailing newline (it would show as another producer's item) and a
    malformed host are refused with a 4xx and change nothing."""
    engine = open_registry(market_workspace.registry_url)
    log_in(client, "fh", PASSWORDS["fh"])
    entry = {"title": "Akhbar", "category": "news", "language": "fa", "province": "IR-25"}
    put = client.put("/api/producers/film-house/catalogue/akhbar%0A", json=entry,
                     headers={"X-CSRF-Token": client.cookies.get(CSRF_COOKIE, "")})
    assert 400 <= put.status_code < 500 and put.status_code != 404
    assert not any("\n" in i.id for i in list_items(engine))
    before = list_requests(engine)
    assert _form(client, "/catalogue/film-house/claims", content_id="kino",
                 host="not a host", valid_from="1404-10") == 400
    assert list_requests(engine) == before
