"""The engine shared by the template-based formats (IPFIX and NetFlow v9).

A datagram is checked and parsed whole before it touches any state, so a malformed one
is rejected without side effects. Data sets are not decoded one record at a time: the
bytes of every set that uses the same template are joined and read with a single
``np.frombuffer`` (see :mod:`pahna.intake.records`). Data that arrives before its
template waits (bounded in time) and is decoded when the template comes.

A format supplies how to parse its messages and template sets (:class:`TemplatedDecoder`
subclasses); set ids are normalized to IPFIX's (2 templates, 3 options templates).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from pahna.errors import DecodeError, TemplateError
from pahna.intake.base import Datagram, DecodeResult, IntakeCounters, Rejected
from pahna.intake.records import RecordContext, flows_from_records
from pahna.intake.sampling import SamplingTable
from pahna.intake.templates import Template, TemplateCache, TemplateKey, normalize_variable
from pahna.intake.uniform import (
    MIN_RUN,
    Block,
    HeaderLayout,
    framing_matches,
    header_words,
    matrix,
    plan,
    runs_of_alike,
    sequence_gaps,
    set_records,
)
from pahna.schema import FLOW_SCHEMA

MAX_PENDING_SETS = 10_000
TEMPLATE_SET, OPTIONS_SET = 2, 3


@dataclass
class Message:
    """One export message, framing checked; sets keep their (normalized) ids."""

    exporter: bytes
    domain: int
    export_ms: int
    sequence: int
    received_ms: int
    sets: list[tuple[int, bytes]]
    uptime_ms: int | None = None


@dataclass
class _Run:
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


@dataclass
class Pending:
    key: TemplateKey
    body: bytes
    export_ms: int
    sequence: int
    received_ms: int
    uptime_ms: int | None


class TemplatedDecoder:
    """Stateful decoder: templates and sampling rates persist across calls."""

    sequence_per_record = True
    """IPFIX counts records in its sequence number; NetFlow v9 counts messages."""
    layout: HeaderLayout
    """Where the format's header fields are, for runs of alike datagrams."""

    def __init__(self, counters: IntakeCounters | None = None, hold_s: float = 60.0) -> None:
        self.counters = counters or IntakeCounters()
        self.templates = TemplateCache()
        self.hold_ms = int(hold_s * 1000)
        self.sampling = SamplingTable()
        self._next_sequence: dict[tuple[bytes, int], int] = {}
        self._pending: list[Pending] = []

    # --- what a format provides -------------------------------------------------------
    def parse(self, datagram: Datagram) -> list[Message]:
        raise NotImplementedError

    def parse_templates(self, body: bytes, options: bool) -> list[Template | int]:
        raise NotImplementedError

    def rebuild(self, item: Pending) -> bytes:
        """A standalone message holding one held data set, for quarantine and replay."""
        raise NotImplementedError

    # --- the engine -------------------------------------------------------------------
    def decode(self, datagrams: list[Datagram], batch_id: str) -> DecodeResult:
        runs: dict[int, _Run] = {}
        rejected: list[Rejected] = []
        for start, end in runs_of_alike(datagrams):
            group = datagrams[start:end]
            if len(group) >= MIN_RUN and self._decode_uniform(group, runs):
                continue
            for datagram in group:
                self._decode_one(datagram, runs, rejected)
        rejected.extend(self._expire_pending(datagrams))
        tables = [t for run in runs.values() for t in self._finish(run, batch_id)]
        flows = pa.concat_tables(tables) if tables else FLOW_SCHEMA.empty_table()
        return DecodeResult(flows, rejected)

    def _decode_one(self, datagram: Datagram, runs: dict[int, _Run],
                    rejected: list[Rejected]) -> None:
        counters = self.counters.exporter(datagram.exporter)
        counters.datagrams += 1
        counters.bytes += len(datagram.payload)
        try:
            messages = self.parse(datagram)
            for message in messages:
                self._check_templates(message)
        except DecodeError as error:
            counters.errors[error.reason] += 1
            rejected.append(Rejected(datagram, error))
            return
        for message in messages:
            self._apply(message, runs)

    def _decode_uniform(self, group: list[Datagram], runs: dict[int, _Run]) -> bool:
        """Take a run of alike data-only datagrams as one matrix (see intake.uniform)."""
        sets = plan(self, self.layout, group[0])
        if sets is None:
            return False
        rows = matrix(group)
        if not framing_matches(rows, self.layout, sets):
            return False
        exporter = group[0].exporter
        words = header_words(rows, self.layout)
        domain = int(words[0, self.layout.domain // 4])
        export_ms = words[:, self.layout.export_s // 4] * 1000
        uptime = None if self.layout.uptime is None else words[:, self.layout.uptime // 4]
        per_row = sum(item.count for item in sets)
        counters = self.counters.exporter(exporter)
        counters.datagrams += len(group)
        counters.bytes += rows.size
        counters.records += per_row * len(group)
        missing, self._next_sequence[(exporter, domain)] = sequence_gaps(
            self._next_sequence.get((exporter, domain)), words[:, self.layout.sequence // 4],
            per_row if self.sequence_per_record else 1)
        counters.sequence_gaps += missing
        for item in sets:
            if item.count:
                run = runs.setdefault(id(item.template), _Run(item.template))
                run.blocks.append(Block(set_records(rows, item), item.count, exporter, domain,
                                        export_ms, uptime, item.rate))
        return True

    def _check_templates(self, message: Message) -> None:
        """Parse template sets and variable-length data up front, so a bad datagram is
        rejected before it changes any state."""
        local: dict[int, Template] = {}
        for set_id, body in message.sets:
            if set_id in (TEMPLATE_SET, OPTIONS_SET):
                for item in self.parse_templates(body, options=set_id == OPTIONS_SET):
                    if isinstance(item, Template):
                        local[item.template_id] = item
                continue
            template = local.get(set_id) or self.templates.get(
                (message.exporter, message.domain, set_id))
            if template is not None and template.record_length is None:
                normalize_variable(template, body)

    def _apply(self, message: Message, runs: dict[int, _Run]) -> None:
        records = 0
        known = True
        for set_id, body in message.sets:
            if set_id in (TEMPLATE_SET, OPTIONS_SET):
                self._learn(message, body, options=set_id == OPTIONS_SET, runs=runs)
                continue
            key = (message.exporter, message.domain, set_id)
            template = self.templates.get(key)
            if template is None:
                known = False
                self.counters.exporter(message.exporter).template_misses += 1
                self._hold(Pending(key, body, message.export_ms, message.sequence,
                                   message.received_ms, message.uptime_ms))
                continue
            records += self._add(template, key, body, message.export_ms, message.uptime_ms,
                                 runs)
        if known or not self.sequence_per_record:
            self._track_sequence(message, records)

    def _learn(self, message: Message, body: bytes, options: bool,
               runs: dict[int, _Run]) -> None:
        for item in self.parse_templates(body, options):
            if isinstance(item, int):
                self._withdraw(message, item)
                continue
            key = (message.exporter, message.domain, item.template_id)
            try:
                self.templates.put(key, item)
            except TemplateError as error:
                self.counters.exporter(message.exporter).errors[error.reason] += 1
                continue
            self._release_pending(key, item, runs)

    def _withdraw(self, message: Message, template_id: int) -> None:
        if template_id in (TEMPLATE_SET, OPTIONS_SET):  # withdraw all templates of the domain
            self.templates.withdraw_domain(message.exporter, message.domain)
        else:
            self.templates.withdraw((message.exporter, message.domain, template_id))

    def _add(self, template: Template, key: TemplateKey, body: bytes, export_ms: int,
             uptime_ms: int | None, runs: dict[int, _Run]) -> int:
        """Queue a data set's records; options records update sampling at once."""
        if template.record_length is not None:
            count = len(body) // template.record_length if template.record_length else 0
            chunk = body[: count * template.record_length]
        else:
            chunk, count = normalize_variable(template, body)
        if count == 0:
            return 0
        if template.scope_count:
            records = np.frombuffer(chunk, dtype=template.dtype, count=count)
            self.sampling.learn(key[:2], template, records)
            return count
        run = runs.setdefault(id(template), _Run(template))
        run.chunks.append(chunk)
        run.counts.append(count)
        run.exporters.append(key[0])
        run.domains.append(key[1])
        run.export_ms.append(export_ms)
        run.uptime_ms.append(uptime_ms if uptime_ms is not None else -1)
        run.sampling.append(self.sampling.rates(key[:2], template, chunk, count))
        self.counters.exporter(key[0]).records += count
        return count

    def _hold(self, pending: Pending) -> None:
        if len(self._pending) >= MAX_PENDING_SETS:
            self._pending.pop(0)
            self.counters.exporter(pending.key[0]).errors["pending_overflow"] += 1
        self._pending.append(pending)

    def _release_pending(self, key: TemplateKey, template: Template,
                         runs: dict[int, _Run]) -> None:
        waiting = [p for p in self._pending if p.key == key]
        if not waiting:
            return
        self._pending = [p for p in self._pending if p.key != key]
        for item in waiting:
            try:
                self._add(template, key, item.body, item.export_ms, item.uptime_ms, runs)
            except DecodeError as error:
                self.counters.exporter(key[0]).errors[error.reason] += 1

    def _expire_pending(self, datagrams: list[Datagram]) -> list[Rejected]:
        if not self._pending or not datagrams:
            return []
        now = max(d.received_ms for d in datagrams)
        expired = [p for p in self._pending if now - p.received_ms > self.hold_ms]
        self._pending = [p for p in self._pending if now - p.received_ms <= self.hold_ms]
        out = []
        for item in expired:
            self.counters.exporter(item.key[0]).errors["template_missing"] += 1
            error = DecodeError(f"no template {item.key[2]} within the hold time",
                                reason="template_missing")
            out.append(Rejected(Datagram(item.key[0], self.rebuild(item), item.received_ms),
                                error))
        return out

    def _track_sequence(self, message: Message, records: int) -> None:
        domain = (message.exporter, message.domain)
        expected = self._next_sequence.get(domain)
        if expected is not None:
            gap = (message.sequence - expected) % 2**32
            if 0 < gap < 2**31:
                self.counters.exporter(message.exporter).sequence_gaps += gap
        step = records if self.sequence_per_record else 1
        self._next_sequence[domain] = (message.sequence + step) % 2**32

    def _finish(self, run: _Run, batch_id: str) -> list[pa.Table]:
        """One flow table for every record of a template definition in the batch."""
        if not run.blocks and not run.counts:
            return []
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
        return [flows_from_records(records, run.template.names, ctx, batch_id)]


def _run_rates(run: _Run, spans: list[tuple[bytes, int, int, int]]) -> np.ndarray:
    """One sampling rate per record: blocks carry one rate each, queued sets a number or
    an array per record."""
    blocks = [(rate, n) for _, _, rate, n in spans[: len(run.blocks)]]
    scalar = [r for r in run.sampling if isinstance(r, int)]
    if len(scalar) == len(run.sampling):
        return _spread(blocks + list(zip(scalar, run.counts, strict=True)), np.uint32)
    rates = [np.full(n, rate, np.uint32) for rate, n in blocks]
    return _joined([*rates, _rates(run.sampling, np.asarray(run.counts))])


def _record_bytes(run: _Run) -> np.ndarray:
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
