"""Real `pahna serve` processes on one workspace: login failures counted in one process
hold back the other, and X-Forwarded-For is believed only from the trusted proxies of
pahna.toml (uvicorn's own proxy handling, which trusts 127.0.0.1, is off)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import tomli_w
from tests.e2e.web.conftest import LivePortal, _copy, serving

pytestmark = pytest.mark.slow
WRONG = "not-the-password"


def _attempt(portal: LivePortal, username: str, password: str,
             forwarded: str | None = None) -> int:
    with httpx.Client(base_url=portal.url) as client:
        client.get("/login")
        headers = {"X-Forwarded-For": forwarded} if forwarded else {}
        answer = client.post("/login", headers=headers, data={
            "username": username, "password": password,
            "csrf_token": client.cookies.get("pahna_csrf", "")})
        return answer.status_code


def _trust(home: Path, proxies: list[str]) -> None:
    (home / "pahna.toml").write_text(tomli_w.dumps({"portal": {"trusted_proxies": proxies}}))


def test_two_processes_share_the_throttle_and_trust_only_listed_proxies(
        demo_home, tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    home = _copy(demo_home, tmp_path_factory, "processes")
    _trust(home, ["127.0.0.1"])
    password = "auditor-pass-1404"
    with serving(home, demo_home[1]) as one, serving(home, demo_home[1]) as other:
        for _ in range(5):
            assert _attempt(one, "audit", WRONG, forwarded="203.0.113.66") == 401
        assert _attempt(other, "audit", password, forwarded="203.0.113.66") == 429
        assert _attempt(other, "audit", password, forwarded="198.51.100.7") == 303


def test_without_trusted_proxies_a_client_cannot_pick_its_address(
        demo_home, tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    home = _copy(demo_home, tmp_path_factory, "untrusted")
    with serving(home, demo_home[1]) as portal:
        for number in range(5):
            assert _attempt(portal, "audit", WRONG, forwarded=f"198.51.100.{number}") == 401
        assert _attempt(portal, "audit", "auditor-pass-1404",
                        forwarded="198.51.100.200") == 429
