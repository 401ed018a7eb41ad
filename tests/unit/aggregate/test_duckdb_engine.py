import ipaddress
import os
import tempfile
from pathlib import Path

import pytest
from tests.flowgen import Flow, flow_table

from pahna.aggregate.engines.duckdb import DuckDbEngine
from pahna.aggregate.kernel import Rules
from pahna.aggregate.queries import UsageQuery
from pahna.attribute.claims import ClaimIndex, TimedPrefix
from pahna.attribute.domestic import DomesticIndex
from pahna.schema import BIN_MS
from pahna.store.reader import committed_files
from pahna.store.writer import write_batch

T0 = 1_761_165_000_000  # 2025-10-22T20:30Z: a multiple of five minutes
QUERY = UsageQuery("1404-08", T0, T0 + 30 * 86_400_000)


def rules() -> Rules:
    claims = ClaimIndex.build([
        TimedPrefix("a", ipaddress.ip_network("10.0.0.0/8"), 0, None),
        TimedPrefix("b", ipaddress.ip_network("10.9.0.0/16"), 0, None),
    ])
    domestic = DomesticIndex([([TimedPrefix("", ipaddress.ip_network("2.0.0.0/8"), 0, None)],
                               0, None)])
    return Rules(claims, domestic)


def store_flows(tmp_path: Path, flows: list[Flow]) -> list[Path]:
    write_batch(tmp_path, flow_table(flows), "unit", "ef" * 32)
    return committed_files(tmp_path, 0, 2**62)


def test_usage_is_sampling_scaled_attributed_and_bounded_by_period(tmp_path: Path) -> None:
    files = store_flows(tmp_path, [
        Flow("10.1.1.1", "2.2.2.2", 100, T0),
        Flow("10.9.1.1", "8.8.8.8", 10, T0 + 60_000, sampling_rate=100),
        Flow("192.0.2.1", "2.2.2.2", 7, T0 + 1),
        Flow("10.1.1.1", "2.2.2.2", 999, T0 - 1),  # before the month
        # half of this flow's time lies before the month: only 50 bytes count
        Flow("10.1.1.1", "2.2.2.2", 100, T0 - BIN_MS, T0 + BIN_MS),
    ])
    got = DuckDbEngine().usage(files, QUERY, rules()).to_pylist()
    assert [(r["producer_id"], r["bytes"], r["flows"]) for r in got] == [
        ("a", 150, 1), ("b", 1000, 1), (None, 7, 1)]


def test_usage_by_class_and_bin(tmp_path: Path) -> None:
    files = store_flows(tmp_path, [
        Flow("10.1.1.1", "2.2.2.2", 300, T0, T0 + 3 * BIN_MS),
        Flow("10.1.1.1", "8.8.8.8", 5, T0),
    ])
    query = UsageQuery("1404-08", QUERY.start_ms, QUERY.end_ms,
                       ("producer_id", "traffic_class", "bin_start_ms"))
    got = [(r["traffic_class"], r["bin_start_ms"] - T0, r["bytes"])
           for r in DuckDbEngine().usage(files, query, rules()).to_pylist()]
    assert got == [("domestic", 0, 100), ("domestic", BIN_MS, 100),
                   ("domestic", 2 * BIN_MS, 100), ("international", 0, 5)]


def test_duckdb_spills_into_a_folder_of_its_own_removed_afterwards(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past its memory limit DuckDB writes to `temp_directory`, by default `.tmp` in the
    working directory (which may be read-only, or anywhere): the engine gives each
    connection a folder under the system's temporary directory and removes it."""
    monkeypatch.chdir(tmp_path)
    engine = DuckDbEngine()
    query = UsageQuery("1404-08", 0, 1)
    with engine._connection(query, "a test", "a sum") as con:
        (row,) = con.sql("SELECT current_setting('temp_directory')").fetchall()
        spill = Path(row[0])
        assert spill.is_dir() and spill.parent == Path(tempfile.gettempdir())
    assert not spill.exists() and not (tmp_path / ".tmp").exists()


def test_zero_threads_is_one_per_core_this_process_may_use() -> None:
    assert DuckDbEngine(threads=0).threads == len(os.sched_getaffinity(0))
    assert DuckDbEngine(threads=3).threads == 3
