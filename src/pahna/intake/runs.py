"""Records of one template definition gathered across a batch, and how they become one
flow table: blocks of uniform runs (see :mod:`pahna.intake.uniform`) first, then sets
queued one by one, each record keeping the index of the datagram it came from."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from pahna.intake.biflows import has_reverse, reverse_flows
from pahna.intake.records import RecordContext, flows_from_records
from pahna.intake.templates import Template
from pahna.intake.uniform import Block


@dataclass
class Run:
    """Records of one template definition gathered across the batch."""

    template: Template
    chunks: list[bytes] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)
    exporters: list[bytes] = field(default_factory=list)
    domains: list[int] = field(default_factory=list)
    export_ms: list[int] = field(default_factory=list)
    uptime_ms: list[int] = field(default_factory=list)
    sampling: list[int | np.ndarray] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    origins: list[int] = field(default_factory=list)


def finish_run(run: Run, batch_id: str) -> tuple[pa.Table, np.ndarray] | None:
    """One flow table for every record of a template definition in the batch."""
    if not run.blocks and not run.counts:
        return None
    spans = [(b.exporter, b.domain, b.rate, len(b.export_ms) * b.per_datagram)
             for b in run.blocks]
    # per-message facts (a datagram of a block, a set queued alone), and how many
    # records each spreads over: repeated once, for the whole run
    export_ms = [b.export_ms for b in run.blocks]
    uptimes = [b.uptime_ms for b in run.blocks]
    repeats = [np.full(len(b.export_ms), b.per_datagram) for b in run.blocks]
    if run.counts:
        spans += zip(run.exporters, run.domains, [0] * len(run.counts), run.counts,
                     strict=True)
        export_ms.append(np.asarray(run.export_ms, np.int64))
        uptimes.append(None if run.uptime_ms[0] < 0 else np.asarray(run.uptime_ms, np.int64))
        repeats.append(np.asarray(run.counts))
    spread = _joined(repeats)
    known = [u for u in uptimes if u is not None]
    ctx = RecordContext(
        exporter=_repeat_bytes([(e, n) for e, _, _, n in spans], 16),
        observation_domain=_spread([(d, n) for _, d, _, n in spans], np.uint32),
        export_ms=np.repeat(_joined(export_ms), spread),
        uptime_ms=np.repeat(_joined(known), spread) if len(known) == len(uptimes) else None,
        sampling_rate=_run_rates(run, spans),
    )
    records = _record_bytes(run).view(run.template.dtype)
    names, origins = run.template.names, _origins(run)
    flows = flows_from_records(records, names, ctx, batch_id)
    if not has_reverse(names):
        return flows, origins
    reverse, mask = reverse_flows(records, names, flows)
    return pa.concat_tables([flows, reverse]), np.concatenate([origins, origins[mask]])


def _origins(run: Run) -> np.ndarray:
    """The datagram index of every record, in the order of :func:`_record_bytes`."""
    parts = [np.repeat(np.arange(b.first_origin, b.first_origin + len(b.export_ms)),
                       b.per_datagram) for b in run.blocks]
    if run.counts:
        parts.append(np.repeat(np.asarray(run.origins, np.int64), run.counts))
    return _joined(parts).astype(np.int64, copy=False)


def _run_rates(run: Run, spans: list[tuple[bytes, int, int, int]]) -> np.ndarray:
    """One sampling rate per record: blocks carry one rate each, queued sets a number or
    an array per record."""
    blocks = [(rate, n) for _, _, rate, n in spans[: len(run.blocks)]]
    scalar = [r for r in run.sampling if isinstance(r, int)]
    if len(scalar) == len(run.sampling):
        return _spread(blocks + list(zip(scalar, run.counts, strict=True)), np.uint32)
    rates = [np.full(n, rate, np.uint32) for rate, n in blocks]
    return _joined([*rates, _rates(run.sampling, np.asarray(run.counts))])


def _record_bytes(run: Run) -> np.ndarray:
    """Every record of the run, blocks first, in one contiguous buffer: each block is
    copied once, straight from its datagram matrix."""
    sizes = [b.records.size for b in run.blocks]
    scalar = b"".join(run.chunks)
    out = np.empty(sum(sizes) + len(scalar), dtype=np.uint8)
    position = 0
    for block, size in zip(run.blocks, sizes, strict=True):
        out[position : position + size].reshape(block.records.shape)[...] = block.records
        position += size
    out[position:] = np.frombuffer(scalar, dtype=np.uint8)
    return out


def _joined(arrays: list[np.ndarray]) -> np.ndarray:
    return arrays[0] if len(arrays) == 1 else np.concatenate(arrays)


def _repeat_bytes(spans: list[tuple[bytes, int]], width: int) -> np.ndarray:
    """(n, width) uint8: each value repeated its count of times (bytes repetition is a
    plain memory copy, far cheaper than NumPy's repeat of rows)."""
    if len({value for value, _ in spans}) == 1:
        joined = spans[0][0] * sum(count for _, count in spans)
    else:
        joined = b"".join(value * count for value, count in spans)
    return np.frombuffer(joined, dtype=np.uint8).reshape(-1, width)


def _spread(spans: list[tuple[int, int]], dtype: type[np.unsignedinteger]) -> np.ndarray:
    if len(spans) == 1 or len({value for value, _ in spans}) == 1:
        return np.full(sum(n for _, n in spans), spans[0][0], dtype)
    values, counts = zip(*spans, strict=True)
    return np.repeat(np.asarray(values, dtype), counts)


def _rates(rates: list[int | np.ndarray], counts: np.ndarray) -> np.ndarray:
    """One rate per record from per-set rates (a number, or an array per record)."""
    if all(isinstance(r, int) for r in rates):
        return np.repeat(np.asarray(rates, np.uint32), counts)
    return np.concatenate([np.full(n, r, np.uint32) if isinstance(r, int) else r
                           for r, n in zip(rates, counts, strict=True)])
