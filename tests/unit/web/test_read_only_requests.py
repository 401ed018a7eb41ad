"""A GET request's registry reads begin deferred on SQLite: they do not queue for the
write lock behind another transaction (the producer page's p95 went from 174 ms to
674-891 ms when every transaction began with BEGIN IMMEDIATE: docs/performance.md),
while a write still waits its turn."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from tests.unit.web.conftest import PASSWORDS, build_workspace, log_in

from pahna.registry import database
from pahna.registry.database import read_only_transactions, registry_engine
from pahna.web.app import create_app


def _registry_file(url: str) -> str:
    return url.removeprefix("sqlite:///")


def test_reads_inside_read_only_transactions_pass_a_held_write_lock(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(database, "SQLITE_BUSY_TIMEOUT_MS", 1500)
    path = tmp_path / "r.sqlite"
    engine = registry_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO t VALUES (1)")
    try:
        started = time.monotonic()
        with read_only_transactions(), engine.connect() as connection:
            assert connection.execute(text("SELECT COUNT(*) FROM t")).scalar() == 0
        assert time.monotonic() - started < 1.0
        started = time.monotonic()
        with pytest.raises(Exception, match="locked"), engine.connect() as connection:
            connection.execute(text("SELECT COUNT(*) FROM t"))  # begins IMMEDIATE: waits
        assert time.monotonic() - started >= 1.4
    finally:
        writer.execute("ROLLBACK")
        writer.close()
        engine.dispose()


def test_a_get_request_reads_while_another_process_holds_the_write_lock(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(database, "SQLITE_BUSY_TIMEOUT_MS", 1500)
    workspace = build_workspace(tmp_path / "home")
    with TestClient(create_app(workspace), raise_server_exceptions=False) as client:
        log_in(client, "uni", PASSWORDS["uni"])
        writer = sqlite3.connect(_registry_file(workspace.registry_url), isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")
        try:
            started = time.monotonic()
            page = client.get("/producers/qom-univ")
            assert page.status_code == 200 and time.monotonic() - started < 1.4
        finally:
            writer.execute("ROLLBACK")
            writer.close()
