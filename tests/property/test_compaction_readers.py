"""Readers running while compaction runs (and while batches keep being committed) see every
record committed before their read began exactly once, and nothing twice: the old
batches or the compacted one, never both, never neither."""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.store.test_store_writer import flows

from pahna.store.compaction import compact_day, plan
from pahna.store.layout import DAY_MS, day_label
from pahna.store.reader import iter_flows
from pahna.store.writer import write_batch

DAY0 = 20_000


class Store:
    """Batches whose records are numbered (src_port, unique across the test)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.next = 0
        self.committed: list[int] = []
        self.lock = threading.Lock()

    def commit(self, size: int, day: int) -> None:
        with self.lock:
            numbers = list(range(self.next, self.next + size))
            self.next += size
        table = flows([day * DAY_MS + (n % 1000) for n in numbers])
        table = table.set_column(table.schema.get_field_index("src_port"),
                                 table.schema.field("src_port"),
                                 pa.array(numbers, table.schema.field("src_port").type))
        name = hashlib.sha256(f"batch:{numbers[0]}".encode()).hexdigest()
        assert write_batch(self.path, table, "test", name) is not None
        with self.lock:
            self.committed.extend(numbers)


def read_once(store: Store, day: int) -> None:
    """One reader: what was committed before it began is there exactly once."""
    with store.lock:
        before = set(store.committed)
    seen = Counter(n for batch in iter_flows(store.path, day * DAY_MS, (day + 2) * DAY_MS)
                   for n in batch.column("src_port").to_pylist())
    assert max(seen.values(), default=1) == 1, "a record read twice"
    missing = before - set(seen)
    assert not missing, f"{len(missing)} committed records not read"


@settings(max_examples=12, deadline=None)
@given(sizes=st.lists(st.integers(1, 40), min_size=2, max_size=25),
       during=st.lists(st.integers(1, 40), max_size=10),
       rounds=st.integers(1, 3), two_days=st.booleans())
def test_readers_see_every_committed_record_once_while_compaction_runs(
        tmp_path_factory: pytest.TempPathFactory, sizes: list[int], during: list[int],
        rounds: int, two_days: bool) -> None:
    store = Store(tmp_path_factory.mktemp("store"))
    for index, size in enumerate(sizes):
        store.commit(size, DAY0 + (index % 2 if two_days else 0))
    errors: list[BaseException] = []
    done = threading.Event()

    def reader() -> None:
        try:
            while not done.is_set():
                read_once(store, DAY0)
        except BaseException as error:
            errors.append(error)

    def committer() -> None:
        try:
            for size in during:
                store.commit(size, DAY0)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=reader) for _ in range(2)]
    threads.append(threading.Thread(target=committer))
    for thread in threads:
        thread.start()
    try:
        for _ in range(rounds):
            for day in (DAY0, DAY0 + 1):
                for day_plan in plan(store.path, day_label(day)):
                    compact_day(store.path, day_plan)
    finally:
        threads[-1].join()
        done.set()
        for thread in threads:
            thread.join()
    assert not errors, errors[0]
    read_once(store, DAY0)
    assert sorted(n for b in iter_flows(store.path) for n in
                  b.column("src_port").to_pylist()) == list(range(store.next))
