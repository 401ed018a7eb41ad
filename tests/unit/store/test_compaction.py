"""Compaction: a day's small batches become one, readers read the same rows, the sources
stay for a grace period (files a final sealed for ever), export identities still count,
and a batch folded into a compacted one can still be retracted."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tests.unit.store.test_store_writer import flows

from pahna.errors import StoreError
from pahna.store.catalog import index_file
from pahna.store.compaction import compact_day, plan, retire
from pahna.store.layout import DAY_MS, day_label, manifest_file
from pahna.store.lineage import batch_committed, held_batches, read_lineage
from pahna.store.manifests import Manifest, read_manifests
from pahna.store.reader import iter_flows, window_manifests
from pahna.store.retraction import find_batch, retract
from pahna.store.writer import is_stored, write_batch

DAY0 = 20_000


def commit(store: Path, ports: range, day: int = DAY0) -> Manifest:
    """A batch of flows numbered by their source port (bytes = 10 x port)."""
    table = flows([day * DAY_MS + p for p in ports])
    table = table.set_column(table.schema.get_field_index("src_port"),
                             table.schema.field("src_port"),
                             pa.array(list(ports), table.schema.field("src_port").type))
    name = hashlib.sha256(f"{day}:{ports.start}:{ports.stop}".encode()).hexdigest()
    manifest = write_batch(store, table, "test", name)
    assert manifest is not None
    return manifest


def numbers(store: Path) -> Counter[int]:
    return Counter(p for b in iter_flows(store) for p in b.column("src_port").to_pylist())


def test_a_days_batches_become_one_and_readers_read_the_same_rows(tmp_path: Path) -> None:
    sources = [commit(tmp_path, range(n * 10, n * 10 + 10)) for n in range(5)]
    other_day = commit(tmp_path, range(500, 505), DAY0 + 1)
    before = numbers(tmp_path)
    (day_plan,) = plan(tmp_path, day_label(DAY0))
    assert {m.content_hash for m in day_plan.sources} == {m.content_hash for m in sources}
    compacted = compact_day(tmp_path, day_plan)
    assert numbers(tmp_path) == before and max(before.values()) == 1
    assert compacted.records == 50 and compacted.bytes == sum(m.bytes for m in sources)
    assert list(compacted.replaces) == sorted(m.content_hash for m in sources)
    assert sorted(m.content_hash for m in read_manifests(tmp_path)) == sorted(
        [compacted.content_hash, other_day.content_hash])
    assert [m.content_hash for m in window_manifests(tmp_path, DAY0 * DAY_MS,
                                                     (DAY0 + 1) * DAY_MS)] == [
        compacted.content_hash]
    index = index_file(tmp_path, day_label(DAY0)).read_bytes()
    assert all(m.content_hash.encode() not in index.split(b" ", 1)[0] for m in sources)
    for source in sources:  # kept through the grace period, hidden
        assert manifest_file(tmp_path, source.content_hash).exists()
        assert (tmp_path / source.files[0].path).exists()
        assert batch_committed(tmp_path, source.content_hash)
        assert is_stored(tmp_path, source.content_hash)


def test_compacting_again_folds_new_batches_into_the_compacted_one(tmp_path: Path) -> None:
    for n in range(3):
        commit(tmp_path, range(n * 10, n * 10 + 10))
    (first,) = [compact_day(tmp_path, p) for p in plan(tmp_path, day_label(DAY0))]
    late = commit(tmp_path, range(100, 110))
    (second,) = [compact_day(tmp_path, p) for p in plan(tmp_path, day_label(DAY0))]
    assert set(second.replaces) == {first.content_hash, late.content_hash}
    assert numbers(tmp_path) == Counter(range(30)) + Counter(range(100, 110))
    assert len(held_batches(tmp_path, second)) == 5


def test_retiring_removes_the_sources_after_the_grace_but_keeps_sealed_files(
        tmp_path: Path) -> None:
    sources = [commit(tmp_path, range(n * 10, n * 10 + 10)) for n in range(3)]
    compact_day(tmp_path, plan(tmp_path, day_label(DAY0))[0])
    assert retire(tmp_path, set()) == (0, 0)  # within the grace period: nothing
    sealed = sources[0].files[0].path
    assert retire(tmp_path, {sealed}, grace_s=0) == (3, 2)
    assert (tmp_path / sealed).exists()
    assert not (tmp_path / sources[1].files[0].path).exists()
    assert numbers(tmp_path) == Counter(range(30))
    assert all(batch_committed(tmp_path, m.content_hash) for m in sources)
    assert write_batch(tmp_path, flows([DAY0 * DAY_MS]), "again",
                       sources[1].content_hash) is None  # still known: not stored again


def test_a_damaged_source_stops_compaction_before_anything_changes(tmp_path: Path) -> None:
    sources = [commit(tmp_path, range(n * 10, n * 10 + 10)) for n in range(2)]
    with (tmp_path / sources[1].files[0].path).open("ab") as handle:
        handle.write(b"x")
    with pytest.raises(StoreError, match="does not match the sha256"):
        compact_day(tmp_path, plan(tmp_path, day_label(DAY0))[0])
    assert sorted(m.content_hash for m in read_manifests(tmp_path)) == sorted(
        m.content_hash for m in sources)


def test_only_days_before_today_by_default_and_single_batches_are_left(tmp_path: Path) -> None:
    commit(tmp_path, range(0, 5))
    commit(tmp_path, range(5, 10))
    commit(tmp_path, range(10, 15), DAY0 + 1)  # alone on its day
    assert [p.day for p in plan(tmp_path, now_ms=(DAY0 + 5) * DAY_MS)] == [day_label(DAY0)]
    assert plan(tmp_path, now_ms=DAY0 * DAY_MS) == []  # DAY0 is today: not yet


def test_retracting_a_compacted_batch_takes_every_batch_it_holds(tmp_path: Path) -> None:
    sources = [commit(tmp_path, range(n * 10, n * 10 + 10)) for n in range(3)]
    compacted = compact_day(tmp_path, plan(tmp_path, day_label(DAY0))[0])
    retract(tmp_path, find_batch(tmp_path, compacted.batch_id), "bad router", "tester")
    assert numbers(tmp_path) == Counter()
    assert read_manifests(tmp_path) == []  # the sources do not come back
    assert not any(batch_committed(tmp_path, m.content_hash) for m in sources)
    assert write_batch(tmp_path, flows([DAY0 * DAY_MS]), "again",
                       sources[0].content_hash) is not None  # may be ingested again


@pytest.mark.parametrize("retired", [False, True])
def test_a_batch_folded_into_a_compacted_one_can_still_be_retracted(
        tmp_path: Path, retired: bool) -> None:
    sources = [commit(tmp_path, range(n * 10, n * 10 + 10)) for n in range(4)]
    for n in (4, 5):
        commit(tmp_path, range(n * 10, n * 10 + 10))
    compact_day(tmp_path, plan(tmp_path, day_label(DAY0))[0])
    commit(tmp_path, range(100, 103))
    compact_day(tmp_path, plan(tmp_path, day_label(DAY0))[0])  # nested: compacted twice
    if retired:
        retire(tmp_path, set(), grace_s=0)
    target = sources[2]
    found = find_batch(tmp_path, target.batch_id)
    assert found == target
    record = retract(tmp_path, found, "duplicated export", "tester")
    assert record.exists()
    assert numbers(tmp_path) == Counter(range(60)) - Counter(range(20, 30)) + Counter(
        range(100, 103))
    assert not batch_committed(tmp_path, target.content_hash)
    assert all(batch_committed(tmp_path, m.content_hash) for m in sources if m != target)
    kept = tmp_path / "retracted" / f"{record.stem}" / f"{target.batch_id}.parquet"
    assert sorted(pq.read_table(kept).column("src_port").to_pylist()) == list(range(20, 30))
    (live,) = read_manifests(tmp_path)
    assert read_lineage(tmp_path, target.content_hash) is None
    assert target.content_hash not in held_batches(tmp_path, live)
    with pytest.raises(StoreError, match="no committed"):
        find_batch(tmp_path, target.batch_id)
