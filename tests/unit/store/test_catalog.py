"""The manifests' index: a query reads only the days it needs, finds exactly the batches a
scan of every manifest finds, and stays exact through crashes, torn lines and retraction."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.store.test_store_writer import flows

from pahna.store import catalog
from pahna.store.catalog import ensure_index, index_dir, index_file, indexed_manifests
from pahna.store.layout import DAY_MS, day_label, manifest_file
from pahna.store.manifests import Manifest, read_manifests
from pahna.store.reader import iter_flows, window_manifests
from pahna.store.retraction import retract
from pahna.store.writer import write_batch, write_files, write_manifest

DAY0 = 20_000


def commit(store: Path, starts: list[int], name: str) -> Manifest:
    manifest = write_batch(store, flows(starts), "test", hashlib.sha256(name.encode()).hexdigest())
    assert manifest is not None
    return manifest


def scanned(store: Path, start_ms: int, end_ms: int) -> list[str]:
    """The reference: every manifest parsed, the overlap rule applied."""
    return sorted(m.content_hash for m in read_manifests(store)
                  if m.start_ms is not None and m.end_ms is not None
                  and m.start_ms < end_ms and m.end_ms >= start_ms)


def test_a_query_reads_only_the_index_files_of_its_days(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    for day in range(5):
        for n in range(3):
            commit(tmp_path, [(DAY0 + day) * DAY_MS + n * 1000], f"{day}-{n}")
    assert ensure_index(tmp_path)  # once: it reads every index file to check it is whole
    read: list[str] = []
    original = catalog._lines
    monkeypatch.setattr(catalog, "_lines", lambda path: read.append(path.name) or original(path))
    found = window_manifests(tmp_path, (DAY0 + 2) * DAY_MS, (DAY0 + 3) * DAY_MS)
    assert len(found) == 3
    assert read == [index_file(tmp_path, day_label(DAY0 + 2)).name]
    assert [m.content_hash for m in found] == scanned(tmp_path, (DAY0 + 2) * DAY_MS,
                                                      (DAY0 + 3) * DAY_MS)


@settings(max_examples=40, deadline=None)
@given(batches=st.lists(st.lists(st.integers(0, 90 * DAY_MS), min_size=1, max_size=4),
                        min_size=1, max_size=8),
       window=st.tuples(st.integers(-DAY_MS, 91 * DAY_MS), st.integers(1, 40 * DAY_MS)))
def test_the_index_finds_what_a_scan_of_every_manifest_finds(
        tmp_path_factory: pytest.TempPathFactory, batches: list[list[int]],
        window: tuple[int, int]) -> None:
    """Batches spanning one day, several, or more than WIDE_DAYS (filed as `wide`)."""
    store = tmp_path_factory.mktemp("store")
    for index, offsets in enumerate(batches):
        commit(store, [DAY0 * DAY_MS + o for o in offsets], f"b{index}")
    start = DAY0 * DAY_MS + window[0]
    end = start + window[1]
    assert [m.content_hash for m in indexed_manifests(store, start, end)] == \
        scanned(store, start, end)


def test_a_crash_between_the_index_line_and_the_manifest_loses_and_doubles_nothing(
        tmp_path: Path) -> None:
    table = flows([DAY0 * DAY_MS + 5, DAY0 * DAY_MS + 6])
    content_hash = "c" * 64
    manifest = write_files(tmp_path, table, "test", content_hash)
    catalog.add_entry(tmp_path, manifest)  # the line is written, then the process dies
    assert window_manifests(tmp_path, 0, 2**62) == []  # not committed: not read
    assert write_batch(tmp_path, table, "test", content_hash) is not None  # the retry
    lines = index_file(tmp_path, day_label(DAY0)).read_bytes().splitlines()
    assert len(lines) == 2  # the line twice, the batch once
    assert [m.content_hash for m in window_manifests(tmp_path, 0, 2**62)] == [content_hash]
    assert sum(b.num_rows for b in iter_flows(tmp_path)) == 2


def test_a_torn_line_is_closed_and_the_batches_around_it_are_read(tmp_path: Path) -> None:
    first = commit(tmp_path, [DAY0 * DAY_MS + 1], "first")
    path = index_file(tmp_path, day_label(DAY0))
    with path.open("ab") as handle:
        handle.write(b"deadbeef" * 8 + b' {"batch_id": "torn')  # a crash mid-append
    second = commit(tmp_path, [DAY0 * DAY_MS + 2], "second")
    found = {m.content_hash for m in window_manifests(tmp_path, 0, 2**62)}
    assert found == {first.content_hash, second.content_hash}


def test_a_damaged_line_of_a_committed_batch_is_read_from_its_manifest(tmp_path: Path) -> None:
    manifest = commit(tmp_path, [DAY0 * DAY_MS + 1], "one")
    path = index_file(tmp_path, day_label(DAY0))
    path.write_bytes(manifest.content_hash.encode() + b" {not json\n")
    assert window_manifests(tmp_path, 0, 2**62) == [manifest]


def test_a_store_written_before_the_index_is_indexed_once(tmp_path: Path) -> None:
    made = [commit(tmp_path, [(DAY0 + d) * DAY_MS], f"old{d}") for d in range(3)]
    shutil.rmtree(index_dir(tmp_path))  # as a store written by an earlier pahna
    assert sorted(m.content_hash for m in window_manifests(tmp_path, 0, 2**62)) == \
        sorted(m.content_hash for m in made)
    assert (index_dir(tmp_path) / "complete").exists()
    assert sorted(p.stem for p in index_dir(tmp_path).glob("*.idx")) == [
        day_label(DAY0 + d) for d in range(3)]
    assert ensure_index(tmp_path)


def test_an_unwritable_store_is_scanned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made = commit(tmp_path, [DAY0 * DAY_MS], "ro")
    shutil.rmtree(index_dir(tmp_path))

    def refused(*_: object) -> None:
        raise PermissionError("read-only file system")

    monkeypatch.setattr(catalog, "index_lock", refused)
    assert window_manifests(tmp_path, 0, 2**62) == [made]


def test_retraction_takes_the_batch_out_of_the_index(tmp_path: Path) -> None:
    kept = commit(tmp_path, [DAY0 * DAY_MS + 1], "kept")
    gone = commit(tmp_path, [DAY0 * DAY_MS + 2, (DAY0 + 1) * DAY_MS], "gone")
    before = index_file(tmp_path, day_label(DAY0)).stat().st_ino
    retract(tmp_path, gone, "test", "tester")
    assert window_manifests(tmp_path, 0, 2**62) == [kept]
    assert gone.content_hash.encode() not in index_file(tmp_path, day_label(DAY0)).read_bytes()
    assert gone.content_hash.encode() not in index_file(tmp_path, day_label(DAY0 + 1)).read_bytes()
    assert index_file(tmp_path, day_label(DAY0)).stat().st_ino != before  # replaced whole
    assert not manifest_file(tmp_path, gone.content_hash).exists()


def test_write_manifest_lists_the_batch_before_committing_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    order: list[str] = []
    table = flows([DAY0 * DAY_MS])
    manifest = write_files(tmp_path, table, "test", "d" * 64)
    original = catalog.add_entry

    def spy(store: Path, m: Manifest) -> None:
        order.append("index" if not manifest_file(store, m.content_hash).exists() else "late")
        original(store, m)

    monkeypatch.setattr("pahna.store.writer.add_entry", spy)
    write_manifest(tmp_path, manifest)
    assert order == ["index"]
