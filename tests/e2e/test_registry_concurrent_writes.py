"""The portal and the CLI write the SQLite registry at the same time, from two processes:
every write lands, none fails with "database is locked" (WAL, a busy timeout, and
transactions that take the write lock when they begin: registry/database.py)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from pahna.parties import Producer
from pahna.registry.database import open_registry
from pahna.registry.producers import add_producer
from pahna.web.accounts import Account, add_account
from pahna.workspace import init_workspace

pytestmark = pytest.mark.slow
WRITES = 40

PORTAL = """
import sys, time
from pathlib import Path
from fastapi.testclient import TestClient
from pahna.web.app import create_app
from pahna.web.auth import CSRF_COOKIE, CSRF_HEADER
from pahna.workspace import open_workspace
home, go = Path(sys.argv[1]), Path(sys.argv[2])
with TestClient(create_app(open_workspace(home)), raise_server_exceptions=False) as client:
    client.get("/login")
    client.post("/login", data={"username": "minister", "password": "admin-secret-1",
                "csrf_token": client.cookies.get(CSRF_COOKIE, "")})
    csrf = client.cookies.get(CSRF_COOKIE, "")
    print("ready", flush=True)
    while not go.exists():
        time.sleep(0.01)
    for i in range(int(sys.argv[3])):
        r = client.post("/api/producers/p-web/claims", headers={CSRF_HEADER: csrf},
                        json={"prefix": f"10.1.{i}.0/24", "valid_from": "1404-01"})
        assert r.status_code == 201, (i, r.status_code, r.text)
print("done", flush=True)
"""

CLI = """
import sys, time
from pathlib import Path
from pahna.cli import main
home, go = sys.argv[1], Path(sys.argv[2])
print("ready", flush=True)
while not go.exists():
    time.sleep(0.01)
for i in range(int(sys.argv[3])):
    main(["registry", "add-claim", "p-cli", f"10.2.{i}.0/24", "--from", "1404-01-01",
          "--home", home], standalone_mode=False)
print("done", flush=True)
"""


def _start(script: str, home: Path, go: Path) -> subprocess.Popen[str]:
    process = subprocess.Popen([sys.executable, "-c", script, str(home), str(go),
                                str(WRITES)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    if process.stdout.readline().strip() != "ready":
        process.kill()
        raise AssertionError(process.communicate()[1])
    return process


def test_portal_and_cli_write_the_sqlite_registry_at_once(tmp_path: Path) -> None:
    workspace = init_workspace(tmp_path / "home")
    engine = open_registry(workspace.registry_url)
    for producer in ("p-web", "p-cli"):
        add_producer(engine, Producer(producer, producer, "", "IR-25", "other"), "test")
    add_account(engine, Account("minister", "admin"), "admin-secret-1")
    go = tmp_path / "go"
    portal, cli = _start(PORTAL, workspace.home, go), _start(CLI, workspace.home, go)
    go.touch()
    started = time.monotonic()
    outcomes = [process.communicate(timeout=300) for process in (portal, cli)]
    for process, (out, err) in zip((portal, cli), outcomes, strict=True):
        assert process.returncode == 0 and "done" in out, err
    assert time.monotonic() - started < 300
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        counts = dict(connection.execute(text(
            "SELECT producer_id, count(*) FROM claims GROUP BY producer_id")).all())
    assert counts == {"p-web": WRITES, "p-cli": WRITES}
