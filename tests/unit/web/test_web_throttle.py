"""Login throttling: kept in the registry database (every portal process sees it), keyed
by account and client address, and the client address believed from X-Forwarded-For
only when the peer is a trusted proxy."""

from __future__ import annotations

from pathlib import Path

import tomli_w
from fastapi.testclient import TestClient
from tests.unit.web.conftest import PASSWORDS

from pahna.web.app import create_app
from pahna.workspace import Workspace, open_workspace

WRONG = "not-the-password"


def _attempt(client: TestClient, username: str, password: str,
             forwarded: str | None = None) -> int:
    client.get("/login")
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return client.post("/login", headers=headers, follow_redirects=False, data={
        "username": username, "password": password,
        "csrf_token": client.cookies.get("pahna_csrf", "")}).status_code


def test_failures_in_one_process_hold_back_the_other(own_settled: Workspace) -> None:
    one = TestClient(create_app(own_settled), client=("192.0.2.10", 4000))
    other = TestClient(create_app(own_settled), client=("192.0.2.10", 4001))
    for _ in range(5):
        assert _attempt(one, "audit", WRONG) == 401
    assert _attempt(other, "audit", PASSWORDS["audit"]) == 429  # a second process knows


def test_an_attacker_locks_out_only_their_own_pair(own_settled: Workspace) -> None:
    attacker = TestClient(create_app(own_settled), client=("203.0.113.66", 4000))
    owner = TestClient(create_app(own_settled), client=("198.51.100.7", 4000))
    for _ in range(5):
        assert _attempt(attacker, "uni", WRONG) == 401
    held = attacker.post("/login", data={"username": "uni", "password": PASSWORDS["uni"],
                                         "csrf_token": attacker.cookies.get("pahna_csrf")},
                         follow_redirects=False)
    assert held.status_code == 429 and int(held.headers["retry-after"]) > 800
    assert _attempt(owner, "uni", PASSWORDS["uni"]) == 303  # from elsewhere: let in
    for number in range(15):  # spraying other names from the same address
        assert _attempt(attacker, f"guess-{number}", WRONG) == 401
    assert _attempt(attacker, "qom", PASSWORDS["qom"]) == 429  # 20 from one address


def _trusting(workspace: Workspace, proxies: list[str]) -> Workspace:
    config = workspace.home / "pahna.toml"
    config.write_text(tomli_w.dumps({"portal": {"trusted_proxies": proxies}}))
    return open_workspace(Path(workspace.home))


def test_forwarded_for_is_believed_only_from_trusted_proxies(own_settled: Workspace) -> None:
    behind = _trusting(own_settled, ["10.0.0.0/24"])
    proxy = TestClient(create_app(behind), client=("10.0.0.2", 4000))
    for _ in range(5):  # one attacker behind the proxy
        assert _attempt(proxy, "tv", WRONG, forwarded="203.0.113.66") == 401
    assert _attempt(proxy, "tv", PASSWORDS["tv"], forwarded="203.0.113.66") == 429
    # everyone else behind the same proxy still gets in
    assert _attempt(proxy, "tv", PASSWORDS["tv"], forwarded="198.51.100.7") == 303
    # a client that is not a trusted proxy cannot pick its address
    direct = TestClient(create_app(behind), client=("192.0.2.99", 4000))
    for number in range(5):
        assert _attempt(direct, "audit", WRONG, forwarded=f"198.51.100.{number}") == 401
    assert _attempt(direct, "audit", PASSWORDS["audit"], forwarded="198.51.100.200") == 429


def test_the_limits_are_settings_and_the_nearest_untrusted_address_counts(
        own_settled: Workspace) -> None:
    config = own_settled.home / "pahna.toml"
    config.write_text(tomli_w.dumps({"portal": {
        "trusted_proxies": ["10.0.0.0/24"], "login_failures_per_account": 2}}))
    workspace = open_workspace(Path(own_settled.home))
    proxy = TestClient(create_app(workspace), client=("10.0.0.2", 4000))
    chain = "192.0.2.1, 198.51.100.7, 10.0.0.3"  # a forged first hop, the client, a proxy
    for _ in range(2):
        assert _attempt(proxy, "tv", WRONG, forwarded=chain) == 401
    assert _attempt(proxy, "tv", PASSWORDS["tv"], forwarded="198.51.100.7") == 429
    assert _attempt(proxy, "tv", PASSWORDS["tv"], forwarded="192.0.2.1") == 303
