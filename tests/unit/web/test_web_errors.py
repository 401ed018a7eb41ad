"""One JSON error shape for the API; readable pages for 403, 404 and 500."""

from __future__ import annotations

from fastapi.testclient import TestClient

from pahna.web import finals


def _shape(body: dict[str, object], status: int) -> None:
    assert set(body) == {"error"}
    error = body["error"]
    assert isinstance(error, dict)
    assert set(error) == {"status", "code", "message"} and error["status"] == status


def test_api_errors_share_one_shape(as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user("uni")
    _shape(client.get("/api/nowhere").json(), 404)
    _shape(client.get("/api/producers/qom-tv/usage").json(), 404)
    _shape(client.get("/api/producers/qom-univ/usage?day=99").json(), 422)
    _shape(client.get("/api/producers/qom-univ/statements/1404-13").json(), 422)
    _shape(client.get("/api/producers/qom-univ/statements/1404-12").json(), 404)
    csrf = {"X-CSRF-Token": client.cookies.get("pahna_csrf", "")}
    _shape(client.post("/api/producers/qom-univ/disputes", json={"period": "1404-08"},
                       headers=csrf).json(), 422)
    _shape(client.post("/api/producers/qom-univ/disputes", json={"period": "1404-08"}
                       ).json(), 403)  # the door (CSRF) before the body
    _shape(client.get("/api/overview").json(), 403)
    _shape(client.delete("/api/periods").json(), 405)


def test_html_error_pages(as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user("uni")
    missing = client.get("/no/such/page")
    assert missing.status_code == 404 and "پیدا نشد" in missing.text
    forbidden = client.get("/overview")
    assert forbidden.status_code == 403 and "دسترسی ندارید" in forbidden.text


def test_server_error_page_and_json_hide_details(client: TestClient, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def broken(*_args: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(finals, "shown", broken)  # what /public reads first
    page = client.get("/public")
    assert page.status_code == 500 and "secret internals" not in page.text
    assert "خطای سامانه" in page.text
    api = client.get("/api/public/1404-08")
    assert api.status_code == 500 and "secret internals" not in api.text
    _shape(api.json(), 500)


def test_language_switch(client: TestClient) -> None:
    english = client.get("/lang/en?next=/public")
    assert english.status_code == 200 and 'lang="en" dir="ltr"' in english.text
    assert "Transparency" in english.text
    persian = client.get("/lang/fa?next=/public")
    assert 'lang="fa" dir="rtl"' in persian.text and "شفافیت" in persian.text
    assert client.get("/lang/en?next=//evil.example", follow_redirects=False
                      ).headers["location"] == "/"
