"""A small settled workspace (three producers in two provinces) and a portal on it."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pahna.calendar import JalaliMonth
from pahna.demo.scenario import DemoProducer, demo_producers
from pahna.demo.traffic import generate_month
from pahna.pipeline import settle
from pahna.registry.database import open_registry
from pahna.registry.producers import PrefixClaim, add_prefix_claim, add_producer
from pahna.store.writer import write_batch
from pahna.web.accounts import Account, add_account
from pahna.web.app import create_app
from pahna.web.auth import CSRF_COOKIE
from pahna.workspace import Workspace, init_workspace

PERIOD = "1404-08"
PRODUCERS = ("qom-univ", "qom-tv", "teh-news")
PASSWORDS = {"minister": "admin-secret-1", "qom": "officer-secret-1",
             "uni": "producer-secret-1", "tv": "producer-secret-2", "audit": "auditor-secret-1"}
TARIFF = """\
id = "incentive-test"
version = 1
valid_from = "1404-01"
valid_to = ""
rate_rial_per_gb = "50000000"
pool_rial = 5000000000
"""
ACCOUNTS = (Account("minister", "admin"), Account("qom", "officer", province="IR-25"),
            Account("uni", "producer", producer_id="qom-univ"),
            Account("tv", "producer", producer_id="qom-tv"), Account("audit", "auditor"))


def chosen_producers() -> list[DemoProducer]:
    return [d for d in demo_producers() if d.producer.id in PRODUCERS]


def registered_workspace(home: Path) -> Workspace:
    """The three producers with their claims, and the tariff; no flows yet."""
    workspace = init_workspace(home)
    engine = open_registry(workspace.registry_url)
    start = JalaliMonth.parse("1404-01").start_ms
    for item in chosen_producers():
        add_producer(engine, item.producer, actor="test")
        for net in item.prefixes:
            add_prefix_claim(engine, PrefixClaim(item.producer.id, net, start, None),
                             approve_nested=True, actor="test")
    (workspace.tariffs_dir / "t.toml").write_text(TARIFF, encoding="utf-8")
    return workspace


def build_workspace(home: Path) -> Workspace:
    workspace = registered_workspace(home)
    engine = open_registry(workspace.registry_url)
    flows = generate_month(chosen_producers(), PERIOD, 3000)
    write_batch(workspace.store_dir, flows, "test", hashlib.sha256(b"web-test").hexdigest())
    settle(workspace, PERIOD)
    for account in ACCOUNTS:
        add_account(engine, account, PASSWORDS[account.username])
    return workspace


@pytest.fixture(scope="session")
def settled(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return build_workspace(tmp_path_factory.mktemp("web") / "home")


@pytest.fixture
def own_settled(tmp_path: Path) -> Workspace:
    """A settled workspace of the test's own, for tests that change tariffs or data."""
    return build_workspace(tmp_path / "home")


@pytest.fixture
def client(settled: Workspace) -> Iterator[TestClient]:
    with TestClient(create_app(settled), raise_server_exceptions=False) as test_client:
        yield test_client


def log_in(client: TestClient, username: str, password: str | None = None) -> None:
    client.get("/login")
    response = client.post("/login", data={
        "username": username, "password": password or PASSWORDS[username],
        "csrf_token": client.cookies.get(CSRF_COOKIE, "")}, follow_redirects=False)
    assert response.status_code == 303, response.text


@pytest.fixture
def as_user(client: TestClient):  # type: ignore[no-untyped-def]
    def login(username: str) -> TestClient:
        log_in(client, username)
        return client
    return login
