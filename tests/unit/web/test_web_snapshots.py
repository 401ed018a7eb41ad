"""Snapshots are rebuilt outside requests and swapped in whole: a page never waits for a
rebuild, a batch committed to the month shows up once the refresher has built it (in a
child process), and periods' ledger states are read once per change, not per page."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.unit.web.conftest import PERIOD, PRODUCERS, log_in

from pahna.demo.scenario import demo_producers
from pahna.demo.traffic import generate_month
from pahna.store.writer import write_batch
from pahna.web import snapshot_cache, states
from pahna.web.app import create_app
from pahna.web.snapshot_cache import SnapshotCache
from pahna.web.snapshots import PeriodSnapshot, build_snapshot
from pahna.workspace import Workspace


def more_flows(workspace: Workspace, seed: int) -> int:
    """Commit another batch of the month; returns its bytes."""
    chosen = [d for d in demo_producers() if d.producer.id in PRODUCERS]
    table = generate_month(chosen, PERIOD, 200, seed=seed)
    manifest = write_batch(workspace.store_dir, table, "late", f"{seed:064x}")
    assert manifest is not None
    return manifest.bytes


def attributed(snapshot: PeriodSnapshot) -> int:
    return int(snapshot.bytes.sum()) + snapshot.unattributed_bytes


def wait_for(condition: object, timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the refresher did not rebuild in time"
        time.sleep(0.05)


def test_a_page_gets_the_held_snapshot_while_a_rebuild_runs(
        own_settled: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = SnapshotCache(own_settled, check_s=0.05, min_age_s=0.0, isolate=False)
    first = cache.get(PERIOD)
    gate, building = threading.Event(), threading.Event()

    def slow(workspace: Workspace, period: str) -> PeriodSnapshot:
        building.set()
        gate.wait(30)
        return build_snapshot(workspace, period)

    monkeypatch.setattr(snapshot_cache, "build_snapshot", slow)
    added = more_flows(own_settled, 11)
    try:
        assert building.wait(30)
        began = time.monotonic()
        assert cache.get(PERIOD) is first  # the old one, at once
        assert time.monotonic() - began < 0.5
    finally:
        gate.set()
    wait_for(lambda: cache.rebuilds >= 1)
    assert attributed(cache.get(PERIOD)) == attributed(first) + added
    cache.stop()


def test_the_refresher_builds_in_a_child_process_and_swaps_the_snapshot_in(
        own_settled: Workspace) -> None:
    cache = SnapshotCache(own_settled, check_s=0.1, min_age_s=0.0)
    first = cache.get(PERIOD)
    added = more_flows(own_settled, 12)
    try:
        wait_for(lambda: cache.rebuilds >= 1)
        assert attributed(cache.get(PERIOD)) == attributed(first) + added
        assert cache.get(PERIOD).statements == first.statements
    finally:
        cache.stop()


def test_a_batch_of_another_month_does_not_rebuild_the_snapshot(own_settled: Workspace,
                                                               tmp_path: Path) -> None:
    cache = SnapshotCache(own_settled, check_s=0.05, min_age_s=0.0, isolate=False)
    first = cache.get(PERIOD)
    chosen = [d for d in demo_producers() if d.producer.id in PRODUCERS]
    write_batch(own_settled.store_dir, generate_month(chosen, "1404-10", 50), "other",
                "e" * 64)
    time.sleep(0.5)
    assert cache.rebuilds == 0 and cache.get(PERIOD) is first
    cache.stop()


def test_period_states_are_read_once_per_change_of_the_ledger(
        own_settled: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[str] = []
    original = states.period_state
    monkeypatch.setattr(states, "period_state",
                        lambda home, period: reads.append(period) or original(home, period))
    with TestClient(create_app(own_settled), raise_server_exceptions=False) as client:
        log_in(client, "uni")
        for _ in range(3):
            assert client.get("/producers/qom-univ").status_code == 200
        assert reads.count(PERIOD) == 1
        log_in(client, "minister")
        assert client.post("/settlement/draft", data={
            "period": PERIOD, "csrf_token": client.cookies.get("pahna_csrf", "")},
            follow_redirects=False).status_code == 303
        log_in(client, "uni")
        assert client.get("/producers/qom-univ").status_code == 200
        assert reads.count(PERIOD) == 2  # the draft changed the ledger folder: read again


def test_the_portal_stops_its_refresher_with_the_app(settled: Workspace) -> None:
    with TestClient(create_app(settled)) as client:
        cache = client.app.state.portal.snapshots  # type: ignore[attr-defined]
        assert cache._thread is not None and cache._thread.is_alive()
    assert not cache._thread.is_alive()


def test_the_builder_process_runs_at_a_lower_cpu_priority(settled: Workspace) -> None:
    cache = SnapshotCache(settled)
    try:
        mine = os.nice(0)
        theirs = cache._builder().submit(os.nice, 0).result(timeout=60)
        assert theirs == min(mine + snapshot_cache.BUILD_NICENESS, 19)
    finally:
        cache.stop()


def test_a_snapshot_is_rebuilt_at_most_every_min_age(own_settled: Workspace) -> None:
    cache = SnapshotCache(own_settled, check_s=0.05, isolate=False)
    assert cache.min_age_s == 30.0  # the portal's default: figures trail by 30 s at most
    first = cache.get(PERIOD)
    more_flows(own_settled, 13)
    time.sleep(1.0)
    assert cache.rebuilds == 0 and cache.get(PERIOD) is first
    cache.min_age_s = 0.0
    wait_for(lambda: cache.rebuilds >= 1)
    cache.stop()
