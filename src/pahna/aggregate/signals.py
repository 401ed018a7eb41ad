"""The rows integrity signals are summed from, and the SQL both engines sum them with.

`signal_rows` takes an Arrow batch of raw flows and returns one row per (flow, 5-minute
bin) piece of every attributed flow, as `kernel.flow_pieces` does (the same attribution,
metering points, traffic class and spreading; a flow whose bins no query tells apart is
left whole, as usage not grouped by bin leaves it), plus what integrity asks of the client
side: the client network (/24 of IPv4, /48 of IPv6, as one int64 key), the producer that
claims the client address (itself, another producer, or none), whether the client is in
hosting space, and the flow's raw size. `signal_queries` sums those rows; DuckDB and
Spark run the same text over the same rows, and `named` puts names on the codes and
orders the result, so both give the same tables (tests/unit/aggregate).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from pahna.aggregate.kernel import Rules, attribute_flows, input_columns
from pahna.aggregate.queries import UsageQuery
from pahna.attribute.addresses import IPV4_CLIENT_FLAG, address_matrix, client_keys
from pahna.attribute.bins import split_bins
from pahna.attribute.claims import ClaimIndex, TimedPrefix
from pahna.attribute.hosting import HostingIndex
from pahna.schema import TRAFFIC_CLASSES

SIGNAL_INPUT_COLUMNS = ("src_addr", "dst_addr", "start_ms", "end_ms", "bytes", "packets",
                        "sampling_rate", "exporter", "input_if", "output_if", "direction",
                        "src_as", "dst_as")
"""What `signal_rows` may read (`signal_input_columns`: what it reads for given rules)."""

SIGNAL_ROWS_SCHEMA = pa.schema([
    ("producer_id", pa.int32()),
    ("traffic_class", pa.int32()),
    ("bin_start_ms", pa.int64()),
    ("client_net", pa.int64()),
    ("peer_id", pa.int32()),
    ("hosting", pa.bool_()),
    ("flow_bytes", pa.uint64()),
    ("first_piece", pa.int64()),
    ("bytes", pa.uint64()),
    ("sampling_rate", pa.uint32()),
    ("steady", pa.bool_()),
])
"""Unscaled bytes per piece. Producers (the flow's and the client's, null when no producer
claims the client) are indices into the rules' owners and classes into TRAFFIC_CLASSES:
integers sum and group much faster than strings; `named` turns the sums' codes into
names. `steady`: the flow's source address lies in no prefix whose claim began or ended
in the month (SignalRules.changing, any owner's claim), so whoever claims it now held
it all month."""


@dataclass(frozen=True)
class SignalRules:
    """Attribution rules, the hosting list and the prefixes whose claims changed in the
    month: what the signal rows need (picklable, so Spark broadcasts it once)."""

    rules: Rules
    hosting: HostingIndex
    changing: ClaimIndex | None = None


def changing_prefixes(claims: list[list[object]], start_ms: int, end_ms: int
                      ) -> ClaimIndex | None:
    """The prefixes of claims (rules-snapshot rows [producer, kind, value, valid_from_ms,
    valid_to_ms]) that began or ended inside the month (after its first instant, before
    its end), at any time: addresses that changed hands in the month. None when none
    did."""
    changed = [TimedPrefix("changing", ipaddress.ip_network(str(c[2])), 0, None)
               for c in claims if c[1] == "prefix" and any(
                   isinstance(t, int) and start_ms < t < end_ms for t in (c[3], c[4]))]
    return ClaimIndex.build(changed) if changed else None


def signal_input_columns(signal_rules: SignalRules) -> tuple[str, ...]:
    """The columns `signal_rows` reads for these rules (kernel.input_columns, without
    packets, with dst_as when the hosting list has AS numbers): fewer columns read is
    most of a scan."""
    wanted = set(input_columns(signal_rules.rules)) - {"packets"}
    if signal_rules.hosting.has_asns:
        wanted.add("dst_as")
    return tuple(name for name in SIGNAL_INPUT_COLUMNS if name in wanted)


@dataclass(frozen=True)
class SignalRequest:
    """Integrity's sums asked of settlement's pass (Engine.settlement): the rules and
    the least number of flows that make a repeat (signal_queries)."""

    rules: SignalRules
    min_repeats: int


V4_NETWORKS = 1 << 48
"""Client network keys: an IPv6 /48 is its 48 bits; an IPv4 /24 is V4_NETWORKS + its 24.
Sealed in finals' integrity documents, so kept beside the kernel's own encoding
(addresses.client_keys), from which `signal_networks` makes it."""


def signal_networks(keys: np.ndarray) -> np.ndarray:
    """The kernel's client keys (addresses.client_keys) as client network keys."""
    keys = np.asarray(keys, dtype=np.int64)
    return np.where(keys >= IPV4_CLIENT_FLAG, keys - IPV4_CLIENT_FLAG + V4_NETWORKS, keys)


def client_networks(addresses: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """int64: each address's client network, /24 (IPv4) or /48 (IPv6), as one key."""
    return signal_networks(client_keys(address_matrix(addresses)))


def network_text(key: int) -> str:
    """A client network key as text: '2.176.1.0/24' or '2a01:5ec0:1::/48'."""
    if key >= V4_NETWORKS:
        return f"{ipaddress.IPv4Address((key - V4_NETWORKS) << 8)}/24"
    return f"{ipaddress.IPv6Address(key << 80)}/48"


def _metered(batch: pa.RecordBatch, rules: Rules, owner: np.ndarray, start: np.ndarray
             ) -> tuple[pa.RecordBatch, np.ndarray, np.ndarray]:
    """Only the flows usage counts: those a metering point sees (kernel.flow_pieces), and
    of them the attributed ones."""
    keep = owner >= 0
    if rules.metering is not None:
        keep &= rules.metering.keep(batch, owner, start)
    if keep.all():
        return batch, owner, start
    return batch.filter(pa.array(keep)), owner[keep], start[keep]


def _column(batch: pa.RecordBatch, name: str) -> np.ndarray | None:
    if name not in batch.schema.names:
        return None
    values: np.ndarray = batch.column(name).to_numpy(zero_copy_only=False)
    return values


def signal_rows(batch: pa.RecordBatch, signal_rules: SignalRules,
                window: tuple[int, int] | None = None) -> pa.RecordBatch:
    """The batch's signal rows (SIGNAL_ROWS_SCHEMA). With the query's `window`, a flow
    to no claimed client and outside hosting space, all of whose bins lie in the window,
    is one row (in its first bin): no query sums its bytes per bin."""
    rules = signal_rules.rules
    start = batch.column("start_ms").to_numpy(zero_copy_only=False).astype(np.int64)
    batch, owner, start = _metered(batch, rules, attribute_flows(batch, rules, start), start)
    end = batch.column("end_ms").to_numpy(zero_copy_only=False).astype(np.int64)
    dst = batch.column("dst_addr")
    klass = rules.domestic.classify(dst, start)
    peer = rules.claims.lookup(dst, start)
    hosting = signal_rules.hosting.contains(dst, _column(batch, "dst_as"), start)
    raw = batch.column("bytes").to_numpy(zero_copy_only=False).astype(np.uint64)
    # each flow's first piece, then the others; bins matter only to `excludable`
    pieces = split_bins(start, end, [raw], window, (peer >= 0) | hosting)
    rows = np.concatenate([np.arange(len(raw)), pieces.rows])
    bins = np.concatenate([pieces.first_bins, pieces.bins])
    spread = np.concatenate([pieces.first_values[0], pieces.values[0]])
    first = np.zeros(len(rows), np.int64)
    first[: len(raw)] = 1
    peers = peer[rows]
    sampling = batch.column("sampling_rate").to_numpy(zero_copy_only=False)[rows]
    steady = np.ones(len(start), dtype=bool)
    if signal_rules.changing is not None:
        steady = signal_rules.changing.lookup(batch.column("src_addr"), start) < 0
    return pa.RecordBatch.from_arrays([
        pa.array(owner[rows], pa.int32()),
        pa.array(klass[rows], pa.int32()),
        pa.array(bins, pa.int64()),
        pa.array(client_networks(dst)[rows], pa.int64()),
        pa.array(peers, pa.int32(), mask=peers < 0),
        pa.array(hosting[rows], pa.bool_()),
        pa.array(raw[rows], pa.uint64()),
        pa.array(first, pa.int64()),
        pa.array(spread, pa.uint64()),
        pa.array(sampling, pa.uint32()),
        pa.array(steady[rows], pa.bool_()),
    ], schema=SIGNAL_ROWS_SCHEMA)


SCALED = "SUM(bytes * GREATEST(sampling_rate, 1))"


def signal_queries(query: UsageQuery, table: str, min_repeats: int) -> dict[str, str]:
    """SQL over signal rows, by name (codes, not names: see `named`).

    networks   bytes and flow records per (producer, client network)
    records    flow records per (producer, 5-minute bin in which the flow starts):
               the unscaled count of records, whose noise is Poisson's; and of them,
               the steady ones (from addresses whose claim did not change in the month)
    peers      bytes per (producer, producer claiming the client), itself included
    excludable bytes per (producer, class, bin, peer, hosting) of pieces to a claimed
               client or into hosting space: what exclusions may take out
    repeats    bytes per producer in flows (starting in the month) of one size to one
               client network that occur at least `min_repeats` times
    """
    where = (f"WHERE bin_start_ms >= {int(query.start_ms)} "
             f"AND bin_start_ms < {int(query.end_ms)}")
    total = f"CAST({SCALED} AS BIGINT) AS bytes"
    records = "CAST(SUM(first_piece) AS BIGINT) AS records"
    return {
        "networks": f"SELECT producer_id, client_net, {total}, {records} FROM {table} "
                    f"{where} GROUP BY producer_id, client_net",
        "records": f"SELECT producer_id, bin_start_ms, {records}, CAST(SUM(CASE WHEN "
                   "steady THEN 1 ELSE 0 END) AS BIGINT) AS steady_records FROM "
                   f"{table} {where} AND first_piece = 1 "
                   "GROUP BY producer_id, bin_start_ms",
        "peers": f"SELECT producer_id, peer_id, {total} FROM {table} {where} "
                 "AND peer_id IS NOT NULL GROUP BY producer_id, peer_id",
        "excludable": f"SELECT producer_id, traffic_class, bin_start_ms, peer_id, hosting, "
                      f"{total} FROM {table} {where} AND (peer_id IS NOT NULL OR hosting) "
                      "GROUP BY producer_id, traffic_class, bin_start_ms, peer_id, hosting",
        "repeats": "SELECT producer_id, CAST(SUM(bytes) AS BIGINT) AS bytes FROM ("
                   "SELECT producer_id, CAST(SUM(flow_bytes * GREATEST(sampling_rate, 1)) "
                   f"AS BIGINT) AS bytes FROM {table} {where} AND first_piece = 1 "
                   "GROUP BY producer_id, client_net, flow_bytes "
                   f"HAVING COUNT(*) >= {int(min_repeats)}) AS repeated "
                   "GROUP BY producer_id",
    }


def named(name: str, sums: pa.Table, owners: list[str]) -> pa.Table:
    """A query's result with names for codes, ordered by all its keys (null peers
    last): the same table whichever engine summed it."""
    schema = SIGNAL_SCHEMAS[name]
    names = {"producer_id": pa.array(owners or [""], pa.string()),
             "peer_id": pa.array(owners or [""], pa.string()),
             "traffic_class": pa.array(TRAFFIC_CLASSES, pa.string())}
    keys = [(f.name, "ascending") for f in schema if f.name not in VALUES]
    # codes in the order of their names sort as the names do, and integers sort faster
    by_code = list(owners) == sorted(set(owners)) and list(TRAFFIC_CLASSES) == sorted(
        TRAFFIC_CLASSES)
    if by_code and sums.num_rows:
        sums = sums.sort_by(keys)
    columns = []
    for field in schema:
        column = sums.column(field.name)
        if field.name in names:
            column = names[field.name].take(column.cast(pa.int32()))
        columns.append(column.cast(field.type))
    table = pa.Table.from_arrays(columns, schema=schema)
    return table.sort_by(keys) if table.num_rows and not by_code else table


VALUES = ("bytes", "records", "steady_records")
"""The summed columns of the queries (the others are their keys)."""

SIGNAL_SCHEMAS = {
    "networks": pa.schema([("producer_id", pa.string()), ("client_net", pa.int64()),
                           ("bytes", pa.int64()), ("records", pa.int64())]),
    "records": pa.schema([("producer_id", pa.string()), ("bin_start_ms", pa.int64()),
                          ("records", pa.int64()), ("steady_records", pa.int64())]),
    "peers": pa.schema([("producer_id", pa.string()), ("peer_id", pa.string()),
                        ("bytes", pa.int64())]),
    "excludable": pa.schema([("producer_id", pa.string()), ("traffic_class", pa.string()),
                             ("bin_start_ms", pa.int64()), ("peer_id", pa.string()),
                             ("hosting", pa.bool_()), ("bytes", pa.int64())]),
    "repeats": pa.schema([("producer_id", pa.string()), ("bytes", pa.int64())]),
}
"""The Arrow schema of each query's result, the same whichever engine ran it."""
