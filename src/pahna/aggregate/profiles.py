"""Producer profiles for settlement, beside the usage sums: bytes each producer received
per 5-minute bin, its distinct client networks (/24 for IPv4, /48 for IPv6), bytes it
sent to addresses claimed in its own province, and its largest flows.

Read with DuckDB from the committed Parquet files; counters are sampling-scaled and
spread over bins with the same rule as usage (attribute.bins), so they add up the same.
Products and sums go through `pahna.sums`: exact, or CounterOverflowError, never wrapped.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pahna.aggregate.engines.duckdb import BATCH_ROWS, MAX_FLOW_MS
from pahna.attribute.addresses import client_networks
from pahna.attribute.bins import spread_bins
from pahna.attribute.claims import ClaimIndex
from pahna.errors import EngineError
from pahna.schema import BIN_MS
from pahna.sums import grouped_sums, scaled

COLUMNS = ("src_addr", "dst_addr", "src_port", "dst_port", "protocol", "bytes", "packets",
           "start_ms", "end_ms", "sampling_rate")


RECEIVED_SCHEMA = pa.schema([("producer_id", pa.string()), ("bin_start_ms", pa.int64()),
                             ("bytes", pa.int64())])


@dataclass
class Profiles:
    received: pa.Table = field(default_factory=RECEIVED_SCHEMA.empty_table)
    client_networks: dict[str, int] = field(default_factory=dict)
    intra_province_bytes: dict[str, int] = field(default_factory=dict)
    client_bytes: dict[str, dict[bytes, int]] = field(default_factory=dict)


def _batches(files: list[Path], start_ms: int, end_ms: int) -> Iterator[pa.RecordBatch]:
    if not files:
        return
    con = duckdb.connect()
    try:
        scan = con.sql(
            f"SELECT {', '.join(COLUMNS)} FROM read_parquet(?) "
            "WHERE start_ms < ? AND end_ms >= ? AND start_ms >= ?",
            params=[[str(f) for f in files], end_ms, start_ms - BIN_MS, start_ms - MAX_FLOW_MS])
        for batch in scan.to_arrow_reader(BATCH_ROWS):
            if batch.num_rows:
                yield batch
    except duckdb.Error as exc:
        raise EngineError(f"duckdb: producer profiles: {exc}") from exc
    finally:
        con.close()


def _scaled(batch: pa.RecordBatch) -> np.ndarray:
    raw = batch.column("bytes").to_numpy(zero_copy_only=False)
    rate = batch.column("sampling_rate").to_numpy(zero_copy_only=False)
    return scaled(raw, rate, "flow bytes")


def _pieces(batch: pa.RecordBatch, window: tuple[int, int]
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, bin, scaled bytes) for each piece of each flow whose bin is in the window."""
    start = batch.column("start_ms").to_numpy(zero_copy_only=False).astype(np.int64)
    end = batch.column("end_ms").to_numpy(zero_copy_only=False).astype(np.int64)
    raw = batch.column("bytes").to_numpy(zero_copy_only=False).astype(np.uint64)
    rows, bins, (spread,) = spread_bins(start, end, [raw])
    rate = batch.column("sampling_rate").to_numpy(zero_copy_only=False)
    keep = (bins >= window[0]) & (bins < window[1])
    # spread, then scale: as usage
    return rows[keep], bins[keep], scaled(spread[keep], rate[rows][keep], "received bytes")


def _client_keys(batch: pa.RecordBatch) -> np.ndarray:
    """The client network of each destination (attribute.addresses.client_networks)."""
    keys = client_networks(batch.column("dst_addr"))
    return np.ascontiguousarray(keys).view(np.dtype((np.void, 15))).ravel()


def _add(target: dict[str, int], owners: list[str], index: np.ndarray, values: np.ndarray
         ) -> None:
    for owner, value in zip(index.tolist(), values.tolist(), strict=True):
        target[owners[owner]] = target.get(owners[owner], 0) + int(value)


def _add_clients(target: dict[str, dict[bytes, int]], owners: list[str], owner: np.ndarray,
                 keys: np.ndarray, values: np.ndarray) -> None:
    """Bytes per (producer, client network), for client-centric allocation."""
    for index, key, value in zip(owner.tolist(), keys.tolist(), values.tolist(), strict=True):
        networks = target.setdefault(owners[index], {})
        networks[key] = networks.get(key, 0) + int(value)


def producer_profiles(files: list[Path], window: tuple[int, int], claims: ClaimIndex,
                      provinces: dict[str, str], client_bytes: bool = False) -> Profiles:
    """Profiles of every claiming producer for bins starting in window [start, end); with
    `client_bytes`, the bytes each sent to each client network too."""
    out, seen = Profiles(), set[tuple[int, bytes]]()
    owners = claims.owners
    received: list[pa.Table] = []
    province = np.array([provinces.get(o, "") for o in owners] + [""], dtype=object)
    for batch in _batches(files, *window):
        start = batch.column("start_ms").to_numpy(zero_copy_only=False).astype(np.int64)
        src = claims.lookup(batch.column("src_addr"), start)
        dst = claims.lookup(batch.column("dst_addr"), start)
        rows, bins, spread = _pieces(batch, window)
        got = dst[rows] >= 0
        received.append(_group(dst[rows][got], bins[got], spread[got]))
        sent = src[rows] >= 0
        same = sent & (dst[rows] >= 0) & (province[src[rows]] == province[dst[rows]])
        same &= province[src[rows]] != ""
        totals = _sum_by(src[rows][same], np.zeros(int(same.sum()), np.int64), spread[same])
        _add(out.intra_province_bytes, owners, np.array([k[0] for k in totals], np.int64),
             np.array(list(totals.values()), np.uint64))
        flows = np.unique(rows[sent])
        if client_bytes:
            _add_clients(out.client_bytes, owners, src[rows][sent],
                         _client_keys(batch)[rows[sent]], spread[sent])
        seen.update(zip(src[flows].tolist(), _client_keys(batch)[flows].tolist(), strict=True))
    for owner, _ in seen:
        out.client_networks[owners[owner]] = out.client_networks.get(owners[owner], 0) + 1
    if received:
        out.received = _received_table(pa.concat_tables(received), owners)
    return out


def _group(owner: np.ndarray, bins: np.ndarray, values: np.ndarray) -> pa.Table:
    (o, b), v = grouped_sums([owner.astype(np.int64), bins.astype(np.int64)], values)
    return pa.table({"o": o, "b": b, "v": v})


def _received_table(table: pa.Table, owners: list[str]) -> pa.Table:
    summed = _group(table["o"].to_numpy(), table["b"].to_numpy(), table["v"].to_numpy())
    order = pc.sort_indices(summed, sort_keys=[("o", "ascending"), ("b", "ascending")])
    summed = summed.take(order)
    names = pa.array(owners, pa.string()).take(summed["o"])
    return pa.table([names, summed["b"], summed["v"]], schema=RECEIVED_SCHEMA)


def _sum_by(owner: np.ndarray, bins: np.ndarray, values: np.ndarray) -> dict[tuple[int, int], int]:
    grouped = _group(owner, bins, values)
    return {(o, b): int(v) for o, b, v in zip(grouped["o"].to_pylist(), grouped["b"].to_pylist(),
                                              grouped["v"].to_pylist(), strict=True)}


def largest_flows(files: list[Path], window: tuple[int, int], claims: ClaimIndex,
                  producer_id: str, limit: int = 10) -> pa.Table:
    """The producer's `limit` largest flows (sampling-scaled bytes) starting in the window."""
    if producer_id not in claims.owners:
        return pa.table({c: [] for c in (*COLUMNS, "scaled_bytes")})
    wanted = claims.owners.index(producer_id)
    best: list[pa.Table] = []
    for batch in _batches(files, *window):
        start = batch.column("start_ms").to_numpy(zero_copy_only=False).astype(np.int64)
        mine = (claims.lookup(batch.column("src_addr"), start) == wanted)
        mine &= (start >= window[0]) & (start < window[1])
        table = pa.Table.from_batches([batch]).filter(pa.array(mine))
        table = table.append_column("scaled_bytes", pa.array(_scaled(batch)[mine], pa.uint64()))
        best.append(_top(table, limit))
    if not best:
        return pa.table({c: [] for c in (*COLUMNS, "scaled_bytes")})
    return _top(pa.concat_tables(best), limit)


def _top(table: pa.Table, limit: int) -> pa.Table:
    order = pc.sort_indices(table, sort_keys=[
        ("scaled_bytes", "descending"), ("start_ms", "ascending"), ("src_addr", "ascending"),
        ("dst_addr", "ascending"), ("src_port", "ascending"), ("dst_port", "ascending")])
    return table.take(order[:limit])
