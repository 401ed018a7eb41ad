"""Integrity's sums made in settlement's pass over the store (the DuckDB engine).

`signal_rows` (signals.py) attributes every flow a second time, and SQL sums its rows.
When settlement reads the month anyway, its pieces (kernel.flow_parts with receivers,
cut to the window and scaled by batch_sums.window_pieces) already hold what the signals
sum: the sender, the destination's holder, the traffic class, the client network, each
piece's bin and scaled bytes. `signal_parts` adds what only integrity asks (hosting
space, claims that changed in the month) and sums a batch of them, for the flows
counted for a producer:

- `flows`: one row per flow with a piece in the window (SIGNAL_FLOWS_SCHEMA), from which
  SQL sums `networks` and `repeats` at the end: their groups recur across batches and
  are many, so only SQL (which spills) holds them;
- `records`, `peers`, `excludable`: summed per group here (their groups are few) and
  summed again across batches at the end (`part_queries`).

The sums are those of `signal_queries` over `signal_rows`, to the integer (tests compare
both, and the engines); DuckDB's standalone `signals` runs this path too. They are
exact: window_pieces keeps every scaled piece and the batch's total below 2**53 in
float64, and SQL makes and checks every other product and sum. A batch beyond float64,
or holding a flow starting in the month whose size times its sampling rate passes 64
bits (which `signal_queries` refuses whether or not the flow repeats), returns None: the
engine then sums the month's `signal_rows` instead, which checks (and refuses) alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from pahna.aggregate.batch_sums import WindowPieces, grouped_sums
from pahna.aggregate.kernel import Flows
from pahna.aggregate.signals import SignalRules, signal_networks
from pahna.schema import BIN_MS, TRAFFIC_CLASSES

SIGNAL_FLOWS_SCHEMA = pa.schema([
    ("producer_id", pa.int32()),
    ("client_net", pa.int64()),
    ("flow_bytes", pa.uint64()),
    ("sampling_rate", pa.uint32()),
    ("bytes", pa.uint64()),
    ("first", pa.bool_()),
    ("bucket", pa.uint32()),
])
"""Per flow counted for a producer with a piece in the window: producer code, client
network (signals.client_networks), raw size and sampling rate, the scaled bytes of its
pieces in the window, whether its first piece lies in the window, and the repeat bucket
of its (producer, client network, size) (RepeatFilter)."""

RECORD_PARTS_SCHEMA = pa.schema([("producer_id", pa.int32()), ("bin_start_ms", pa.int64()),
                                 ("records", pa.int64()), ("steady_records", pa.int64())])
PEER_PARTS_SCHEMA = pa.schema([("producer_id", pa.int32()), ("peer_id", pa.int32()),
                               ("bytes", pa.uint64())])
EXCLUDABLE_PARTS_SCHEMA = pa.schema([
    ("producer_id", pa.int32()), ("traffic_class", pa.int32()), ("bin_start_ms", pa.int64()),
    ("peer_id", pa.int32()), ("hosting", pa.bool_()), ("bytes", pa.uint64())])
PART_SCHEMAS = {"records": RECORD_PARTS_SCHEMA, "peers": PEER_PARTS_SCHEMA,
                "excludable": EXCLUDABLE_PARTS_SCHEMA}
"""A batch's partial sums of the queries summed here (codes; peer null: none)."""


REPEAT_BUCKETS = 1 << 25
"""Buckets of the repeat filter (RepeatFilter): 64 MB of counters, whatever the month."""
BUCKET_MAX = np.iinfo(np.uint16).max


@dataclass(frozen=True)
class SignalParts:
    """A batch's integrity sums: the flows' rows, the partial sums by query name, and
    how many flows starting in the month fell in each repeat bucket (distinct buckets,
    their counts)."""

    flows: pa.RecordBatch
    parts: dict[str, pa.RecordBatch]
    buckets: tuple[np.ndarray, np.ndarray]


class RepeatFilter:
    """Flows starting in the month per bucket (the low 25 bits of `key_hashes`),
    counted over a month's batches, saturating at BUCKET_MAX. A (producer, client
    network, size) repeated `min_repeats` times lies in a bucket counted at least as
    often, so `often` holds the bucket of every repeat (and of a few keys that merely
    share a bucket): the flows `repeats` must group exactly."""

    def __init__(self) -> None:
        self.counts = np.zeros(REPEAT_BUCKETS, np.uint16)

    def add(self, buckets: np.ndarray, counts: np.ndarray) -> None:
        total = self.counts[buckets].astype(np.int64) + counts
        self.counts[buckets] = np.minimum(total, BUCKET_MAX)

    def often(self, min_repeats: int) -> pa.Table:
        least = min(int(min_repeats), BUCKET_MAX)
        return pa.table({"bucket": pa.array(np.flatnonzero(self.counts >= least),
                                            pa.uint32())})


@dataclass(frozen=True)
class _Side:
    """What integrity reads of each of a batch's flows, beside settlement's Flows."""

    peer: np.ndarray
    hosting: np.ndarray
    steady: np.ndarray


def signal_parts(flows: Flows, cut: WindowPieces | None, signal_rules: SignalRules
                 ) -> SignalParts | None:
    """The batch's integrity sums (see the module), or None when they cannot be made
    exactly here. `flows` must carry its input rows and client networks (flow_parts with
    receivers), `cut` be its pieces in the window."""
    if cut is None or flows.kept is None or flows.client is None:
        return None
    batch, client = flows.kept, flows.client
    count = len(flows.sender)
    window_bytes = np.bincount(cut.flow, weights=cut.counters[0], minlength=count)
    present = np.bincount(cut.flow, minlength=count) > 0
    first = cut.counters[2] > 0  # the pieces that are their flow's first
    first_bin = np.full(count, -1, np.int64)  # the bin index of a flow's first piece
    first_bin[cut.flow[first]] = cut.bin[first]
    counted = flows.sender >= 0
    side = _side(flows, batch, signal_rules)
    rows = _flow_rows(flows, batch, client, np.flatnonzero(present & counted),
                      window_bytes, first_bin >= 0)
    if rows is None:
        return None
    starting = rows.column("bucket").to_numpy()[rows.column("first").to_numpy(
        zero_copy_only=False)]
    buckets = np.unique(starting, return_counts=True)
    owners = len(signal_rules.rules.claims.owners)
    starts = np.flatnonzero(counted & (first_bin >= 0))
    # pieces to a claimed client or into hosting space (few): what peers and excludable sum
    wanted = counted & ((side.peer >= 0) | side.hosting)
    pieces = np.flatnonzero(wanted[cut.flow]) if wanted.any() else np.zeros(0, np.int64)
    flow, bins, sizes = cut.flow[pieces], cut.bin[pieces], cut.counters[0][pieces]
    return SignalParts(rows, {
        "records": _records(flows.sender[starts], first_bin[starts], side.steady[starts],
                            cut.first_bin),
        "peers": _peers(flows.sender[flow], side.peer[flow], sizes, owners),
        "excludable": _excludable(flows, side, flow, bins, sizes, owners, cut.first_bin)},
        (buckets[0].astype(np.int64), buckets[1].astype(np.int64)))


def _side(flows: Flows, batch: pa.RecordBatch, signal_rules: SignalRules) -> _Side:
    """Per flow: the producer whose prefix claim holds the client (not an AS claim, as
    in signal_rows), whether the client is in hosting space, and whether the source's
    claim held all month (looked up for every flow: cheaper than gathering the counted
    ones, which are nearly all; only theirs are read). `batch`: the flows' input rows."""
    start = batch.column("start_ms").to_numpy(zero_copy_only=False).astype(np.int64)
    dst = batch.column("dst_addr")
    rules = signal_rules.rules
    peer = flows.holder if rules.asns is None else rules.claims.lookup(dst, start)
    asns = (batch.column("dst_as").to_numpy(zero_copy_only=False)
            if "dst_as" in batch.schema.names else None)
    hosting = signal_rules.hosting.contains(dst, asns, start)
    steady = (np.ones(len(start), bool) if signal_rules.changing is None
              else signal_rules.changing.lookup(batch.column("src_addr"), start) < 0)
    return _Side(peer, hosting, steady)


def _flow_rows(flows: Flows, batch: pa.RecordBatch, client: np.ndarray, chosen: np.ndarray,
               window_bytes: np.ndarray, first: np.ndarray) -> pa.RecordBatch | None:
    """SIGNAL_FLOWS_SCHEMA rows of the `chosen` flows (of `batch`, their input rows, and
    `client`, their client keys); None when one starting in the window has a scaled size
    past 64 bits (see the module)."""
    raw = batch.column("bytes").to_numpy(zero_copy_only=False)[chosen].astype(np.uint64)
    rate = np.maximum(flows.sampling[chosen].astype(np.uint64), np.uint64(1))
    if (first[chosen] & (raw > np.uint64(2**64 - 1) // rate)).any():
        return None
    bucket = key_hashes(flows.sender[chosen], client[chosen], raw) & np.uint64(
        REPEAT_BUCKETS - 1)
    return pa.RecordBatch.from_arrays([
        pa.array(flows.sender[chosen], pa.int32()),
        pa.array(signal_networks(client[chosen]), pa.int64()),
        pa.array(raw, pa.uint64()), pa.array(flows.sampling[chosen], pa.uint32()),
        pa.array(window_bytes[chosen].astype(np.uint64), pa.uint64()),
        pa.array(first[chosen], pa.bool_()), pa.array(bucket.astype(np.uint32))],
        schema=SIGNAL_FLOWS_SCHEMA)


def key_hashes(producer: np.ndarray, client: np.ndarray, size: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each (producer, client network, size), SplitMix64's finalizer
    chained over the three (uint64 arithmetic wraps): `repeats` groups by it first.
    Two keys sharing a hash cost time, not exactness (part_queries)."""
    out = _mix(size.astype(np.uint64))
    out = _mix(out + client.astype(np.int64).view(np.uint64))
    return _mix(out + producer.astype(np.int64).view(np.uint64))


def _mix(z: np.ndarray) -> np.ndarray:
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    out: np.ndarray = z ^ (z >> np.uint64(31))
    return out


def _records(sender: np.ndarray, bins: np.ndarray, steady: np.ndarray, first_bin: int
             ) -> pa.RecordBatch:
    """Flow records (and the steady ones) per (producer, bin of their first piece), of
    flows given by their producer, the bin index of their first piece and steadiness."""
    keys, sums = _group_sums([(sender, _size(sender)), (bins, _size(bins))],
                             [np.ones(len(sender)), steady.astype(np.float64)])
    return pa.RecordBatch.from_arrays([
        pa.array(keys[0], pa.int32()), pa.array(keys[1] * BIN_MS + first_bin, pa.int64()),
        pa.array(sums[0].astype(np.int64)), pa.array(sums[1].astype(np.int64))],
        schema=RECORD_PARTS_SCHEMA)


def _peers(sender: np.ndarray, peer: np.ndarray, sizes: np.ndarray, owners: int
           ) -> pa.RecordBatch:
    """Bytes per (producer, producer claiming the client) of pieces given by their
    producer, their client's producer (-1: none) and scaled bytes."""
    chosen = peer >= 0
    keys, sums = _group_sums([(sender[chosen], owners), (peer[chosen], owners)],
                             [sizes[chosen]])
    return pa.RecordBatch.from_arrays([
        pa.array(keys[0], pa.int32()), pa.array(keys[1], pa.int32()),
        pa.array(sums[0], pa.uint64())], schema=PEER_PARTS_SCHEMA)


def _excludable(flows: Flows, side: _Side, flow: np.ndarray, bins: np.ndarray,
                sizes: np.ndarray, owners: int, first_bin: int) -> pa.RecordBatch:
    """Bytes per (producer, class, bin, client's producer, hosting) of the pieces (by
    flow, bin index and scaled bytes) to a claimed client or into hosting space."""
    keys, sums = _group_sums(
        [(flows.sender[flow], owners), (flows.klass[flow], len(TRAFFIC_CLASSES)),
         (bins, _size(bins)), (side.peer[flow] + 1, owners + 1),
         (side.hosting[flow].astype(np.int64), 2)], [sizes])
    peer = keys[3] - 1
    return pa.RecordBatch.from_arrays([
        pa.array(keys[0], pa.int32()), pa.array(keys[1], pa.int32()),
        pa.array(keys[2] * BIN_MS + first_bin, pa.int64()),
        pa.array(peer, pa.int32(), mask=peer < 0), pa.array(keys[4].astype(bool)),
        pa.array(sums[0], pa.uint64())], schema=EXCLUDABLE_PARTS_SCHEMA)


def _size(values: np.ndarray) -> int:
    return int(values.max(initial=0)) + 1


def _group_sums(columns: list[tuple[np.ndarray, int]], values: list[np.ndarray]
                ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The distinct rows of key `columns` (each non-negative, below its size) and the
    sums of `values` (float64, exact below 2**53) per row, as uint64: batch_sums'
    grouping over their mixed-radix key, or over the rows themselves when that key
    would not fit 62 bits."""
    space = 1
    for _, size in columns:
        space *= max(size, 1)
    rows = len(columns[0][0])
    if space >= 2**62:  # a mixed-radix key would not fit: group the rows themselves
        stacked = np.stack([c.astype(np.int64) for c, _ in columns], axis=1)
        distinct, index = np.unique(stacked, axis=0, return_inverse=True)
        return ([distinct[:, i] for i in range(len(columns))],
                [np.bincount(index.reshape(-1), weights=v, minlength=len(distinct))
                 .astype(np.uint64) for v in values])
    key = np.zeros(rows, np.int64)
    for column, size in columns:
        key = key * max(size, 1) + column.astype(np.int64)
    keys, sums = grouped_sums(key, space, values)
    out = []
    for _, size in reversed(columns):
        keys, digit = np.divmod(keys, max(size, 1))
        out.append(digit)
    return out[::-1], sums


def part_queries(min_repeats: int) -> dict[str, str]:
    """SQL summing the parts of a month's batches into `signal_queries`' results (codes):
    `signal_flows` holds the flows' rows, `<name>_parts` each query's partial sums.

    `repeats` groups by (producer, client network, size) only the flows in a bucket of
    `repeat_buckets` (RepeatFilter.often): every repeated key's flows are there, so the
    sums are exactly `signal_queries`', whatever keys share a bucket, and the month's
    largest grouping shrinks to the flows that may repeat."""
    least = int(min_repeats)
    return {
        "networks": "SELECT producer_id, client_net, CAST(SUM(bytes) AS BIGINT) AS bytes, "
                    "CAST(SUM(CASE WHEN first THEN 1 ELSE 0 END) AS BIGINT) AS records "
                    "FROM signal_flows GROUP BY producer_id, client_net",
        "records": "SELECT producer_id, bin_start_ms, CAST(SUM(records) AS BIGINT) AS "
                   "records, CAST(SUM(steady_records) AS BIGINT) AS steady_records "
                   "FROM records_parts GROUP BY producer_id, bin_start_ms",
        "peers": "SELECT producer_id, peer_id, CAST(SUM(bytes) AS BIGINT) AS bytes "
                 "FROM peers_parts GROUP BY producer_id, peer_id",
        "excludable": "SELECT producer_id, traffic_class, bin_start_ms, peer_id, hosting, "
                      "CAST(SUM(bytes) AS BIGINT) AS bytes FROM excludable_parts "
                      "GROUP BY producer_id, traffic_class, bin_start_ms, peer_id, hosting",
        "repeats": "SELECT producer_id, CAST(SUM(bytes) AS BIGINT) AS bytes FROM ("
                   "SELECT producer_id, CAST(SUM(flow_bytes * GREATEST(sampling_rate, 1)) "
                   "AS BIGINT) AS bytes FROM signal_flows WHERE first AND bucket IN "
                   "(SELECT bucket FROM repeat_buckets) "
                   "GROUP BY producer_id, client_net, flow_bytes "
                   f"HAVING COUNT(*) >= {least}) AS repeated GROUP BY producer_id",
    }

