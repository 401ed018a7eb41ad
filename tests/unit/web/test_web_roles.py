"""Each role sees its own records and nobody else's, by page and by API."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

PERIOD = "1404-08"


def test_admin_sees_the_nation(as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user("minister")
    page = client.get("/overview")
    assert page.status_code == 200
    assert "قم" in page.text and "تهران" in page.text
    data = client.get("/api/overview").json()
    assert data["period"] == PERIOD
    assert sum(p["amount_rial"] for p in data["provinces"]) == data["amount_rial"] > 0
    assert {p["id"] for p in data["top_producers"]} == {"qom-univ", "qom-tv", "teh-news"}


def test_officer_sees_only_their_province(as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user("qom")
    assert client.get("/", follow_redirects=False).headers["location"] == "/provinces/IR-25"
    assert client.get("/provinces/IR-25").status_code == 200
    assert client.get("/provinces/IR-23").status_code == 403
    assert client.get("/overview").status_code == 403
    assert client.get("/producers/qom-tv").status_code == 200
    assert client.get("/producers/teh-news").status_code == 404
    ids = {p["id"] for p in client.get("/api/producers").json()}
    assert ids == {"qom-univ", "qom-tv"}


@pytest.mark.parametrize("path", [
    f"/producers/qom-tv/statements/{PERIOD}",
    f"/producers/qom-tv/statements/{PERIOD}?format=csv",
    "/producers/qom-tv",
    f"/api/producers/qom-tv/statements/{PERIOD}",
    "/api/producers/qom-tv/usage",
    "/api/producers/qom-tv/claims",
])
def test_producer_cannot_reach_another_producer(as_user, path: str) -> None:  # type: ignore[no-untyped-def]
    client = as_user("uni")
    response = client.get(path)
    assert response.status_code == 404
    assert "qom-tv" not in response.text or "no producer" in response.text


def test_producer_sees_own_statement(as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user("uni")
    assert client.get(f"/producers/qom-univ/statements/{PERIOD}").status_code == 200
    statement = client.get(f"/api/producers/qom-univ/statements/{PERIOD}").json()
    assert statement["id"] == "qom-univ" and statement["amount_rial"] > 0
    usage = client.get("/api/producers/qom-univ/usage").json()
    assert sum(sum(d[k] for k in ("domestic", "international", "unknown"))
               for d in usage["daily"]) == statement["bytes"]
    assert len(usage["five_minute_bytes"]) == 288


def test_auditor_reads_everything_and_writes_nothing(as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user("audit")
    assert client.get("/overview").status_code == 200
    assert client.get("/producers/teh-news").status_code == 200
    csrf = client.cookies.get("pahna_csrf")
    refused = client.post("/settlement/draft", data={"period": PERIOD, "csrf_token": csrf})
    assert refused.status_code == 403
    refused = client.post("/producers/teh-news/disputes",
                          data={"period": PERIOD, "message": "x", "csrf_token": csrf})
    assert refused.status_code == 403


def test_public_sees_no_draft_figures(client: TestClient) -> None:
    page = client.get("/public")  # the period is only drafted: nothing is published
    assert page.status_code == 200 and 'id="no-final"' in page.text
    assert 'id="public-table"' not in page.text and 'id="csv-link"' not in page.text
    for path in (f"/api/public/{PERIOD}", f"/api/public/{PERIOD}/csv"):
        answer = client.get(path)
        assert answer.status_code == 404 and "no final statement" in answer.text
    assert client.get("/api/overview").status_code == 401
    assert client.get("/overview", follow_redirects=False).status_code == 303
    assert client.get(f"/api/producers/qom-univ/statements/{PERIOD}").status_code == 401
