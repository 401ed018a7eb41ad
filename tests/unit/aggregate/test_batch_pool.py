"""The kernel in several threads (aggregate/batch_pool.py): results in the batches' order,
errors raised at their batch, a bounded number in flight, and the DuckDB engine giving
the same answers and counters in one thread as in several."""

from __future__ import annotations

import copy
import threading
import time

import pytest

import pahna.aggregate.engines.duckdb as duckdb_engine
from pahna.aggregate.batch_pool import kernel_threads, map_batches
from pahna.aggregate.engines.duckdb import DuckDbEngine
from pahna.aggregate.kernel import Rules
from pahna.aggregate.queries import GROUP_KEYS, MAX_FLOW_MS, UsageQuery
from pahna.calendar import JalaliMonth
from pahna.store.reader import committed_files
from pahna.workspace import Workspace

PERIOD = "1404-08"  # the bench month of conftest.py


def test_results_come_in_the_batches_order_whoever_finishes_first() -> None:
    def work(n: int) -> int:
        time.sleep(0.002 * (n % 4 == 0))  # every fourth batch finishes last
        return n * n

    assert list(map_batches(work, iter(range(40)), 3)) == [n * n for n in range(40)]
    assert list(map_batches(work, iter(range(5)), 1)) == [0, 1, 4, 9, 16]


def test_an_error_is_raised_at_its_batch() -> None:
    def work(n: int) -> int:
        if n == 6:
            raise ValueError("batch 6")
        return n

    seen = []
    with pytest.raises(ValueError, match="batch 6"):
        for value in map_batches(work, iter(range(20)), 2):
            seen.append(value)
    assert seen == [0, 1, 2, 3, 4, 5]


def test_at_most_threads_plus_one_batches_are_taken_ahead() -> None:
    taken, lock = [0], threading.Lock()

    def batches() -> object:
        for n in range(30):
            with lock:
                taken[0] += 1
            yield n

    for done, _ in enumerate(map_batches(lambda n: n, batches(), 2), start=1):
        assert taken[0] - done <= 2  # threads + 1 in flight, the one yielded included


def test_zero_threads_means_one_per_core() -> None:
    assert kernel_threads(3) == 3
    assert kernel_threads(0) >= 1


def _counted(rules: Rules, month: JalaliMonth) -> Rules:
    """A copy of the rules whose metering filter counts what it drops in the month."""
    mine = copy.deepcopy(rules)
    assert mine.metering is not None
    mine.metering.count_window = (month.start_ms, month.end_ms)
    return mine


def test_the_engine_answers_the_same_in_one_thread_and_in_several(
        bench_month: Workspace, bench_rules: Rules, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(duckdb_engine, "BATCH_ROWS", 2048)  # many batches in flight
    month = JalaliMonth.parse(PERIOD)
    files = committed_files(bench_month.store_dir, month.start_ms - MAX_FLOW_MS, month.end_ms)
    answers = []
    for threads in (1, 4):
        engine = DuckDbEngine(threads=threads)
        rules = _counted(bench_rules, month)
        usage = [engine.usage(files, UsageQuery(PERIOD, month.start_ms, month.end_ms, keys),
                              rules) for keys in (("producer_id",), GROUP_KEYS)]
        settled = engine.settlement(
            files, UsageQuery(PERIOD, month.start_ms, month.end_ms, GROUP_KEYS), rules)
        assert rules.metering is not None
        answers.append((usage, settled, dict(rules.metering.dropped_flows),
                        dict(rules.metering.dropped_bytes)))
    (usage, settled, flows, dropped), (usage_4, settled_4, flows_4, dropped_4) = answers
    assert all(one.equals(other) for one, other in zip(usage, usage_4, strict=True))
    assert settled.usage.equals(settled_4.usage)
    assert settled.received.equals(settled_4.received)
    assert settled.client_networks == settled_4.client_networks
    assert settled.intra_province_bytes == settled_4.intra_province_bytes
    assert sum(flows.values()) and flows == flows_4 and dropped == dropped_4
