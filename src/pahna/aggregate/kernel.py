"""The one definition of how raw flows become usage rows, shared by every engine.

`usage_rows` takes an Arrow batch of raw flows (any subset of the flow schema holding
the columns in INPUT_COLUMNS) and returns one row per (flow, 5-minute bin) piece with
its producer, traffic class, bin and spread counters. Engines run it over their batches
(DuckDB over a stream, Spark through mapInArrow) and sum the result with the SQL in
`queries.py`, so both give the same integers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from pahna.attribute.addresses import client_networks
from pahna.attribute.agents import AgentClassifier
from pahna.attribute.asns import AsnIndex
from pahna.attribute.bins import spread_bins
from pahna.attribute.claims import ClaimIndex
from pahna.attribute.domestic import DomesticIndex
from pahna.attribute.hosts import HostIndex
from pahna.attribute.logs import attribute_requests
from pahna.attribute.metering import MeteringFilter
from pahna.schema import TRAFFIC_CLASSES

INPUT_COLUMNS = ("src_addr", "dst_addr", "start_ms", "end_ms", "bytes", "packets",
                 "sampling_rate", "exporter", "input_if", "output_if", "direction", "src_as")
"""Engines select these; the last five (metering points, AS numbers) may be absent from
a batch, and then no flow is seen at a metering point and none carries an AS."""

ROWS_SCHEMA = pa.schema([
    ("producer_id", pa.string()),
    ("traffic_class", pa.string()),
    ("bin_start_ms", pa.int64()),
    ("bytes", pa.uint64()),
    ("packets", pa.uint64()),
    ("flows", pa.int64()),
    ("sampling_rate", pa.uint32()),
])
"""Unscaled counters per piece; `flows` is 1 on a flow's first piece, 0 on the others."""


@dataclass(frozen=True)
class Rules:
    """What attribution needs besides the flows: prefix claims and domestic lists; AS
    claims (owner indices into claims.owners) and metering points when there are any;
    for web logs, host claims, the content items they name and the automated-client
    classifier."""

    claims: ClaimIndex
    domestic: DomesticIndex
    asns: AsnIndex | None = None
    metering: MeteringFilter | None = None
    hosts: HostIndex | None = None
    contents: tuple[str, ...] = ()
    agents: AgentClassifier | None = None


def attribute_flows(batch: pa.RecordBatch, rules: Rules, start: np.ndarray) -> np.ndarray:
    """Owner index per flow (into rules.claims.owners, -1 when unattributed): the
    longest valid prefix claim on src_addr, else the AS claim on src_as."""
    owner = rules.claims.lookup(batch.column("src_addr"), start)
    if rules.asns is not None and "src_as" in batch.schema.names:
        rows = np.flatnonzero(owner < 0)
        asns = batch.column("src_as").to_numpy(zero_copy_only=False)[rows]
        owner[rows] = rules.asns.lookup(asns, start[rows])
    return owner


def usage_rows(batch: pa.RecordBatch, rules: Rules) -> pa.RecordBatch:
    start = batch.column("start_ms").to_numpy(zero_copy_only=False).astype(np.int64)
    owner = attribute_flows(batch, rules, start)
    if rules.metering is not None:
        counted = rules.metering.keep(batch, owner, start)
        if not counted.all():
            batch, owner, start = batch.filter(pa.array(counted)), owner[counted], start[counted]
    end = batch.column("end_ms").to_numpy(zero_copy_only=False).astype(np.int64)
    klass = rules.domestic.classify(batch.column("dst_addr"), start)
    counters = [batch.column(c).to_numpy(zero_copy_only=False) for c in ("bytes", "packets")]
    rows, bins, (spread_bytes, spread_packets) = spread_bins(start, end, counters)
    first_piece = np.ones(len(rows), dtype=np.int64)
    first_piece[1:] = rows[1:] != rows[:-1]
    owners = pa.array(rules.claims.owners or [""], pa.string())
    owner_rows = owner[rows]
    producer = pa.DictionaryArray.from_arrays(
        pa.array(np.maximum(owner_rows, 0), pa.int32(), mask=owner_rows < 0), owners)
    traffic = pa.DictionaryArray.from_arrays(pa.array(klass[rows].astype(np.int32)),
                                             pa.array(TRAFFIC_CLASSES))
    sampling = batch.column("sampling_rate").to_numpy(zero_copy_only=False)[rows]
    return pa.RecordBatch.from_arrays(
        [producer.cast(pa.string()), traffic.cast(pa.string()), pa.array(bins, pa.int64()),
         pa.array(spread_bytes, pa.uint64()), pa.array(spread_packets, pa.uint64()),
         pa.array(first_piece), pa.array(sampling, pa.uint32())],
        schema=ROWS_SCHEMA,
    )


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
    ("client_net", pa.binary()),
])
"""One row per request: who it is attributed to (null: nobody claims its host), the
content item, the operator whose edge logged it ("" none), the log's tier, why it does
not count (null: it counts; `automated: ...`), class, bin, bytes, 1, and the client's
network (/24 or /48, 15 bytes)."""


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
    networks = client_networks(batch.column("client_addr"))
    n = len(found.bins)
    return pa.RecordBatch.from_arrays(
        [producer.cast(pa.string()), content.cast(pa.string()),
         batch.column("operator").cast(pa.string()), batch.column("tier").cast(pa.string()),
         excluded.cast(pa.string()), traffic.cast(pa.string()),
         pa.array(found.bins, pa.int64()), batch.column("bytes").cast(pa.uint64()),
         pa.array(np.ones(n, np.int64)),
         pa.FixedSizeBinaryArray.from_buffers(
             pa.binary(15), n, [None, pa.py_buffer(np.ascontiguousarray(networks))]
         ).cast(pa.binary())],
        schema=LOG_ROWS_SCHEMA,
    )
