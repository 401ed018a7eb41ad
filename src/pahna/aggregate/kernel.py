"""The one definition of how raw flows become usage, shared by every engine.

`flow_pieces` takes an Arrow batch of raw flows (any subset of the flow schema holding
the columns in INPUT_COLUMNS) and returns, in one pass, one row per (flow, 5-minute bin)
piece holding everything usage and settlement sum: the producer that sent it and the
one that received it (both with prefix, AS and metering-point rules applied), its
traffic class, bin and spread counters, whether sender and receiver are in the same
province, and the client network of its destination. Producers and classes travel as
small integer codes (positions in `Rules.claims.owners` and TRAFFIC_CLASSES); only the
summed result is decoded (`results.py`). Engines run it over their batches (DuckDB over
a stream, Spark through mapInArrow) and sum the pieces with the SQL in `queries.py`, so
both give the same integers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from pahna.attribute.addresses import address_matrix, client_keys
from pahna.attribute.agents import AgentClassifier
from pahna.attribute.asns import AsnIndex
from pahna.attribute.bins import Pieces, split_bins
from pahna.attribute.claims import ClaimIndex
from pahna.attribute.domestic import DomesticIndex
from pahna.attribute.hosts import HostIndex
from pahna.attribute.logs import attribute_requests
from pahna.attribute.metering import MeteringFilter
from pahna.schema import TRAFFIC_CLASSES
from pahna.sums import scaled

INPUT_COLUMNS = ("src_addr", "dst_addr", "start_ms", "end_ms", "bytes", "packets",
                 "sampling_rate", "exporter", "input_if", "output_if", "direction", "src_as",
                 "dst_as")
"""What the kernel may read; the last six (metering points, AS numbers) may be absent
from a batch, and then no flow is seen at a metering point and none carries an AS."""

METERING_COLUMNS = ("exporter", "input_if", "output_if", "direction")
AS_COLUMNS = ("src_as", "dst_as")

FLOW_COLUMNS = ("src_addr", "dst_addr", "src_port", "dst_port", "protocol", "bytes",
                "packets", "start_ms", "end_ms", "sampling_rate")
"""What `explain` shows of a producer's largest flows (with their scaled bytes)."""

NOBODY = -1
"""Producer code of a piece nobody claims (the unattributed remainder)."""
NOT_COUNTED = -2
"""Producer code of a piece whose owner has metering points none of which saw it."""

PIECES_SCHEMA = pa.schema([
    ("producer", pa.int32()),
    ("receiver", pa.int32()),
    ("traffic_class", pa.int32()),
    ("bin_start_ms", pa.int64()),
    ("bytes", pa.uint64()),
    ("packets", pa.uint64()),
    ("flows", pa.int64()),
    ("sampling_rate", pa.uint32()),
    ("same_province", pa.bool_()),
    ("client", pa.int64()),
])
"""One row per piece. `producer`: the sender's code, NOBODY or NOT_COUNTED; `receiver`:
the code of the producer the destination belongs to (counted for it), else NOBODY;
`traffic_class`: index into TRAFFIC_CLASSES; unscaled counters (`flows` is 1 on a flow's
first piece, 0 on the others); `same_province`: sender and destination's producer in
the same province (Rules.provinces); `client`: the destination's client network
(`addresses.client_keys`) when the piece has a sender, else null. Pieces that count for
nobody (not counted for the sender, no receiver) are left out."""


@dataclass(frozen=True)
class Rules:
    """What attribution needs besides the flows: prefix claims and domestic lists; AS
    claims (owner indices into claims.owners) and metering points when there are any;
    for settlement, a province code per owner (same code, same province; -1 none); for
    web logs, host claims, the content items they name and the automated-client
    classifier."""

    claims: ClaimIndex
    domestic: DomesticIndex
    asns: AsnIndex | None = None
    metering: MeteringFilter | None = None
    hosts: HostIndex | None = None
    provinces: np.ndarray | None = None
    contents: tuple[str, ...] = ()
    agents: AgentClassifier | None = None


def input_columns(rules: Rules) -> tuple[str, ...]:
    """The columns engines read for these rules: metering and AS columns only when
    there are metering points or AS claims (reading fewer columns is most of a scan)."""
    skip = (() if rules.metering is not None else METERING_COLUMNS) + (
        () if rules.asns is not None else AS_COLUMNS)
    return tuple(name for name in INPUT_COLUMNS if name not in skip)


def attribute_flows(batch: pa.RecordBatch, rules: Rules, start: np.ndarray) -> np.ndarray:
    """Owner index per flow (into rules.claims.owners, -1 when unattributed): the
    longest valid prefix claim on src_addr, else the AS claim on src_as (host claims
    are for web-log records: `log_rows`)."""
    owner = rules.claims.lookup(batch.column("src_addr"), start)
    return _by_asn(batch, rules, "src_as", owner, start)


def attribute_receivers(batch: pa.RecordBatch, rules: Rules, start: np.ndarray) -> np.ndarray:
    """Owner index of each flow's destination: the longest valid prefix claim on
    dst_addr, else the AS claim on dst_as; -1 when nobody holds it."""
    owner = rules.claims.lookup(batch.column("dst_addr"), start)
    return _by_asn(batch, rules, "dst_as", owner, start)


def _by_asn(batch: pa.RecordBatch, rules: Rules, column: str, owner: np.ndarray,
            start: np.ndarray) -> np.ndarray:
    if rules.asns is None or column not in batch.schema.names:
        return owner
    rows = np.flatnonzero(owner < 0)
    asns = batch.column(column).to_numpy(zero_copy_only=False)[rows]
    owner[rows] = rules.asns.lookup(asns, start[rows])
    return owner


def counted_owners(batch: pa.RecordBatch, rules: Rules, owner: np.ndarray,
                   start: np.ndarray, count: bool = True) -> np.ndarray:
    """`owner` with NOT_COUNTED where metering points keep the flow out (the filter
    counts what it drops only when `count`: the sending side)."""
    if rules.metering is None:
        return owner
    kept = rules.metering.keep(batch, owner, start, count)
    return np.where(kept, owner, NOT_COUNTED).astype(np.int32)


def flow_pieces(batch: pa.RecordBatch, rules: Rules, receivers: bool = True) -> pa.Table:
    """The batch's pieces (PIECES_SCHEMA), in one pass over its flows: a table of two
    chunks, every flow's first piece (in flow order) then the further pieces of flows
    spanning bins. Without `receivers` (usage alone needs no more) the receiving side is
    not attributed: receiver NOBODY, same_province false and client null throughout."""
    return piece_table(*flow_parts(batch, rules, receivers))


def flow_parts(batch: pa.RecordBatch, rules: Rules, receivers: bool = True,
               whole_within: tuple[int, int] | None = None) -> tuple[Flows, Pieces]:
    """What `flow_pieces` is made of, as NumPy arrays: the per-flow columns of the flows
    that count for somebody, and their pieces (bins.split_bins; with `whole_within`, for
    sums not grouped by bin, flows whose bins all lie in that window stay whole)."""
    start = batch.column("start_ms").to_numpy(zero_copy_only=False).astype(np.int64)
    sender = counted_owners(batch, rules, attribute_flows(batch, rules, start), start)
    if receivers:
        holder = attribute_receivers(batch, rules, start)
        receiver = counted_owners(batch, rules, holder.copy(), start, count=False)
        receiver = np.maximum(receiver, NOBODY)
    else:
        holder = receiver = np.full(len(sender), NOBODY, dtype=np.int32)
    wanted = (sender != NOT_COUNTED) | (receiver >= 0)
    if not wanted.all():
        keep = np.flatnonzero(wanted)
        batch, start = batch.take(pa.array(keep)), start[keep]
        sender, holder, receiver = sender[keep], holder[keep], receiver[keep]
    end = batch.column("end_ms").to_numpy(zero_copy_only=False).astype(np.int64)
    counters = [batch.column(c).to_numpy(zero_copy_only=False) for c in ("bytes", "packets")]
    pieces = split_bins(start, end, counters, whole_within)
    flows = Flows(sender, holder, receiver,
                  rules.domestic.classify(batch.column("dst_addr"), start).astype(np.int32),
                  batch.column("sampling_rate").to_numpy(zero_copy_only=False),
                  client_keys(address_matrix(batch.column("dst_addr"))) if receivers else None,
                  _same_province(rules, sender, holder) if receivers else None, batch)
    return flows, pieces


def piece_table(flows: Flows, pieces: Pieces) -> pa.Table:
    """`flow_parts` as a PIECES_SCHEMA table (see flow_pieces)."""
    first = _piece_batch(flows, None, pieces.first_bins, pieces.first_values, 1)
    rest = _piece_batch(flows, pieces.rows, pieces.bins, pieces.values, 0)
    return pa.Table.from_batches([first, rest], schema=PIECES_SCHEMA)


@dataclass(frozen=True)
class Flows:
    """Per-flow columns of a batch, as the kernel found them."""

    sender: np.ndarray
    holder: np.ndarray
    receiver: np.ndarray
    klass: np.ndarray
    sampling: np.ndarray
    client: np.ndarray | None  # None: receivers not attributed
    same: np.ndarray | None
    kept: pa.RecordBatch | None = None
    """The input rows these flows are, one per flow (integrity's lookups read them)."""


def _piece_batch(flows: Flows, rows: np.ndarray | None, bins: np.ndarray,
                 values: list[np.ndarray], first: int) -> pa.RecordBatch:
    """Pieces of `flows` (each flow once when `rows` is None, else the flows `rows`
    names) as a PIECES_SCHEMA batch; `first` is their `flows` counter."""
    def per(column: np.ndarray) -> np.ndarray:
        return column if rows is None else column[rows]

    n = len(bins)
    sent = per(flows.sender)
    if flows.client is None or flows.same is None:
        receiving = [pa.array(np.full(n, NOBODY, np.int32)), pa.array(np.zeros(n, bool)),
                     pa.nulls(n, pa.int64())]
    else:
        receiving = [pa.array(per(flows.receiver), pa.int32()),
                     pa.array(per(flows.same), pa.bool_()),
                     pa.array(per(flows.client), pa.int64(), mask=sent < 0)]
    return pa.RecordBatch.from_arrays(
        [pa.array(sent, pa.int32()), receiving[0], pa.array(per(flows.klass), pa.int32()),
         pa.array(bins, pa.int64()), pa.array(values[0], pa.uint64()),
         pa.array(values[1], pa.uint64()), pa.array(np.full(n, first, np.int64)),
         pa.array(per(flows.sampling), pa.uint32()), receiving[1], receiving[2]],
        schema=PIECES_SCHEMA)


def _same_province(rules: Rules, sender: np.ndarray, holder: np.ndarray) -> np.ndarray:
    """Per flow: a counted sender and the destination's holder share a province."""
    if rules.provinces is None or not len(rules.provinces):
        return np.zeros(len(sender), dtype=bool)
    table = np.append(np.asarray(rules.provinces, dtype=np.int64), -1)  # -1: nobody
    mine = table[np.where(sender >= 0, sender, -1)]
    theirs = table[np.where(holder >= 0, holder, -1)]
    return (mine >= 0) & (mine == theirs)


def producer_flows(batch: pa.RecordBatch, rules: Rules, producer: int,
                   window: tuple[int, int]) -> pa.RecordBatch:
    """The flows of the batch counted for `producer` (an owner index) that start in
    window [start, end): FLOW_COLUMNS and their sampling-scaled bytes."""
    start = batch.column("start_ms").to_numpy(zero_copy_only=False).astype(np.int64)
    sender = counted_owners(batch, rules, attribute_flows(batch, rules, start), start,
                            count=False)
    mine = np.flatnonzero((sender == producer) & (start >= window[0]) & (start < window[1]))
    chosen = batch.take(pa.array(mine))
    size = scaled(chosen.column("bytes").to_numpy(zero_copy_only=False),
                  chosen.column("sampling_rate").to_numpy(zero_copy_only=False), "flow bytes")
    return pa.RecordBatch.from_arrays(
        [chosen.column(name) for name in FLOW_COLUMNS] + [pa.array(size, pa.int64())],
        names=[*FLOW_COLUMNS, "scaled_bytes"])


LOG_INPUT_COLUMNS = ("time_ms", "client_addr", "host", "path", "bytes", "user_agent", "tier",
                     "operator")
"""What engines select from stored log records for `log_rows`."""

LOG_ROWS_SCHEMA = pa.schema([
    ("producer_id", pa.string()),
    ("content_id", pa.string()),
    ("operator", pa.string()),
    ("tier", pa.string()),
    ("excluded", pa.string()),
    ("traffic_class", pa.string()),
    ("bin_start_ms", pa.int64()),
    ("bytes", pa.uint64()),
    ("requests", pa.int64()),
    ("client_net", pa.int64()),
])
"""One row per request: who it is attributed to (null: nobody claims its host), the
content item, the operator whose edge logged it ("" none), the log's tier, why it does
not count (null: it counts; `automated: ...`), class, bin, bytes, 1, and the client's
network (`addresses.client_keys`: /24 or /48, as for flows)."""


def log_rows(batch: pa.RecordBatch, rules: Rules) -> pa.RecordBatch:
    """Kernel rows of a batch of stored log records (attribute.logs does the work)."""
    found = attribute_requests(batch, rules.hosts, rules.domestic, rules.agents)
    owners = pa.array(rules.claims.owners or [""], pa.string())
    producer = pa.DictionaryArray.from_arrays(
        pa.array(np.maximum(found.owner, 0), pa.int32(), mask=found.owner < 0), owners)
    contents = pa.array(list(rules.contents) or [""], pa.string())
    content = pa.DictionaryArray.from_arrays(
        pa.array(np.maximum(found.content, 0), pa.int32(), mask=found.content < 0), contents)
    reasons = pa.array(found.reasons or [""], pa.string())
    excluded = pa.DictionaryArray.from_arrays(
        pa.array(np.maximum(found.excluded, 0), pa.int32(), mask=found.excluded < 0), reasons)
    traffic = pa.DictionaryArray.from_arrays(pa.array(found.klass.astype(np.int32)),
                                             pa.array(TRAFFIC_CLASSES))
    networks = client_keys(address_matrix(batch.column("client_addr")))
    n = len(found.bins)
    return pa.RecordBatch.from_arrays(
        [producer.cast(pa.string()), content.cast(pa.string()),
         batch.column("operator").cast(pa.string()), batch.column("tier").cast(pa.string()),
         excluded.cast(pa.string()), traffic.cast(pa.string()),
         pa.array(found.bins, pa.int64()), batch.column("bytes").cast(pa.uint64()),
         pa.array(np.ones(n, np.int64)), pa.array(networks, pa.int64())],
        schema=LOG_ROWS_SCHEMA,
    )
