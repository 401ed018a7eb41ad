"""What settlement sums beside usage, from a real Parquet store through the DuckDB engine:
received bytes per bin, distinct client networks (/24 and /48), intra-province bytes,
and the largest flows."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import numpy as np
import pyarrow as pa

from pahna.aggregate.engines.duckdb import DuckDbEngine
from pahna.aggregate.kernel import Rules
from pahna.aggregate.queries import GROUP_KEYS, UsageQuery
from pahna.attribute.claims import ClaimIndex, TimedPrefix
from pahna.attribute.domestic import DomesticIndex
from pahna.calendar import JalaliMonth
from pahna.schema import FLOW_SCHEMA, address_to_bytes
from pahna.store.reader import committed_files
from pahna.store.writer import write_batch

MONTH = JalaliMonth.parse("1404-08")
T0 = MONTH.start_ms


def flows(rows: list[tuple[str, str, int, int, int, int]]
          | list[tuple[str, str, int, int, int, int, int, int]]) -> pa.Table:
    """(src, dst, bytes, start offset ms, duration ms, sampling rate[, src_as, dst_as])
    rows, exported by 127.0.0.1 (egress, interfaces 0)."""
    n = len(rows)
    data = {
        "exporter": [address_to_bytes("127.0.0.1")] * n, "observation_domain": [1] * n,
        "src_addr": [address_to_bytes(r[0]) for r in rows],
        "dst_addr": [address_to_bytes(r[1]) for r in rows], "src_port": [443] * n,
        "dst_port": [50000] * n, "protocol": [6] * n, "bytes": [r[2] for r in rows],
        "packets": [1] * n, "start_ms": [T0 + r[3] for r in rows],
        "end_ms": [T0 + r[3] + r[4] for r in rows], "sampling_rate": [r[5] for r in rows],
        "input_if": [0] * n, "output_if": [0] * n, "direction": [1] * n,
        "src_as": [r[6] if len(r) > 6 else 0 for r in rows],  # type: ignore[misc]
        "dst_as": [r[7] if len(r) > 7 else 0 for r in rows],  # type: ignore[misc]
        "batch_id": ["b"] * n,
    }
    return pa.table(data, schema=FLOW_SCHEMA)


def claims() -> ClaimIndex:
    nets = {"a": ["185.1.0.0/16", "2a0e::/32"], "b": ["185.2.0.0/16"], "c": ["185.3.0.0/16"]}
    return ClaimIndex.build([TimedPrefix(o, ipaddress.ip_network(n), 0, None)
                             for o, ns in nets.items() for n in ns])


def rules() -> Rules:
    """a and b in one province, c in another."""
    return Rules(claims(), DomesticIndex.empty(), provinces=np.array([0, 0, 1], np.int32))


QUERY = UsageQuery("1404-08", MONTH.start_ms, MONTH.end_ms, GROUP_KEYS)


def test_received_clients_intra_and_largest_flows(tmp_path: Path) -> None:
    store = tmp_path / "store"
    write_batch(store, flows([
        ("185.1.0.1", "2.176.1.9", 1000, 0, 0, 1),          # a -> client /24 2.176.1
        ("185.1.0.2", "2.176.1.200", 1000, 1000, 0, 1),     # same /24
        ("185.1.0.3", "2.176.2.1", 500, 0, 600_000, 2),     # another /24; 2 bins, x2
        ("2a0e::1", "2a01:5ec0:1:2::1", 10, 0, 0, 1),       # a -> client /48
        ("2a0e::1", "2a01:5ec0:1:3::1", 10, 0, 0, 1),       # same /48
        ("185.1.0.1", "185.2.0.9", 300, 0, 0, 1),           # a -> b: same province
        ("185.1.0.1", "185.3.0.9", 70, 0, 0, 1),            # a -> c: other province
        ("2.176.1.9", "185.1.0.1", 40, 300_000, 0, 10),     # a receives 400
    ]), "test", "h1")
    files = committed_files(store, MONTH.start_ms - 2**32, MONTH.end_ms)
    window = (MONTH.start_ms, MONTH.end_ms)
    got = DuckDbEngine().settlement(files, QUERY, rules())
    # 2.176.1/24, 2.176.2/24, 2a01:5ec0:1::/48, 185.2.0/24, 185.3.0/24
    assert got.client_networks == {"a": 5}
    assert got.intra_province_bytes == {"a": 300}
    assert got.received.to_pylist() == [
        {"producer_id": "a", "bin_start_ms": T0 + 300_000, "bytes": 400},
        {"producer_id": "b", "bin_start_ms": T0, "bytes": 300},
        {"producer_id": "c", "bin_start_ms": T0, "bytes": 70}]
    top = DuckDbEngine().largest_flows(files, window, rules(), "a", limit=3)
    assert top.column("scaled_bytes").to_pylist() == [1000, 1000, 1000]  # 500 x 2 sampled
    assert top.column("start_ms").to_pylist() == [T0, T0, T0 + 1000]
    assert DuckDbEngine().largest_flows(files, window, rules(), "nobody", 3).num_rows == 0
