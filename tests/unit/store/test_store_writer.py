"""The raw store: exactly once, atomic files, manifests last, state saved atomically."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pahna.errors import StoreError
from pahna.schema import FLOW_SCHEMA, IPV4_MAPPED_PREFIX
from pahna.store.manifests import read_manifests
from pahna.store.reader import committed_files, iter_flows
from pahna.store.state import load_state, save_state, state_name
from pahna.store.writer import write_batch

DAY_MS = 86_400_000


def flows(starts: list[int]) -> pa.Table:
    rows = [{"exporter": IPV4_MAPPED_PREFIX + bytes(4), "observation_domain": 0,
             "src_addr": IPV4_MAPPED_PREFIX + bytes([10, 0, 0, i % 250]),
             "dst_addr": IPV4_MAPPED_PREFIX + bytes(4), "src_port": i, "dst_port": 0,
             "protocol": 6, "bytes": 10 * i, "packets": 1, "start_ms": start,
             "end_ms": start, "sampling_rate": 1, "input_if": 0, "output_if": 0,
             "direction": 0, "src_as": 0, "dst_as": 0, "batch_id": "b"}
            for i, start in enumerate(starts)]
    return pa.Table.from_pylist(rows, schema=FLOW_SCHEMA)


def test_a_batch_is_split_by_utc_day_and_stored_once(tmp_path: Path) -> None:
    table = flows([DAY_MS * 20_000 + 5, DAY_MS * 20_001 + 7, DAY_MS * 20_001 + 9])
    manifest = write_batch(tmp_path, table, "test", "a" * 64)
    assert manifest is not None and manifest.records == 3 and manifest.bytes == 30
    assert sorted(f.rows for f in manifest.files) == [1, 2]
    assert write_batch(tmp_path, table, "test", "a" * 64) is None  # same content: skipped
    assert len(read_manifests(tmp_path)) == 1
    assert sum(b.num_rows for b in iter_flows(tmp_path)) == 3
    window = list(iter_flows(tmp_path, DAY_MS * 20_001, DAY_MS * 20_002))
    assert sum(b.num_rows for b in window) == 2


def test_files_without_a_manifest_are_invisible(tmp_path: Path) -> None:
    """A crash between the Parquet rename and the manifest leaves an orphan no reader
    sees; writing the batch again commits it once."""
    table = flows([DAY_MS * 20_000])
    write_batch(tmp_path, table, "test", "b" * 64)
    (tmp_path / "manifests" / f"{'b' * 64}.json").unlink()
    assert committed_files(tmp_path, 0, 2**62) == []
    assert write_batch(tmp_path, table, "test", "b" * 64) is not None
    assert sum(b.num_rows for b in iter_flows(tmp_path)) == 1


def test_a_failed_write_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: object, **__: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(pq, "write_table", broken)
    with pytest.raises(OSError):
        write_batch(tmp_path, flows([DAY_MS]), "test", "c" * 64)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_schema_must_be_the_flow_contract(tmp_path: Path) -> None:
    with pytest.raises(StoreError):
        write_batch(tmp_path, flows([0]).drop_columns(["batch_id"]), "test", "d" * 64)


def test_intake_state_round_trips_and_refuses_garbage(tmp_path: Path) -> None:
    assert load_state(tmp_path) == {}
    save_state(tmp_path, {"format": 1, "ipfix": {"templates": []}})
    assert load_state(tmp_path)["format"] == 1
    assert not [p for p in (tmp_path / "state").iterdir() if p.name.startswith(".tmp")]
    (tmp_path / "state" / "intake-state.json").write_text("{not json")
    with pytest.raises(StoreError):
        load_state(tmp_path)


def test_each_collector_keeps_its_own_state(tmp_path: Path) -> None:
    one = state_name(["127.0.0.1:2055", "[::1]:2055"])
    assert one == state_name(["[::1]:2055", "127.0.0.1:2055"])
    other = state_name(["127.0.0.1:4739"])
    save_state(tmp_path, {"format": 1, "who": "one"}, one)
    save_state(tmp_path, {"format": 1, "who": "other"}, other)
    assert load_state(tmp_path, one)["who"] == "one"
    assert load_state(tmp_path, other)["who"] == "other"
