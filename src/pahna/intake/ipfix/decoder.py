"""Decode IPFIX messages (RFC 7011) into flow tables, a whole batch at a time.

A datagram is checked and parsed whole before it touches any state, so a malformed one
is rejected without side effects. Data sets are not decoded one record at a time: the
bytes of every set that uses the same template are joined and read with a single
``np.frombuffer`` (see :mod:`pahna.intake.records`). Data that arrives before its
template waits (bounded in time) and is decoded when the template comes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from pahna.errors import DecodeError, TemplateError, TruncatedError, UnsupportedVersionError
from pahna.intake import elements as ie
from pahna.intake.base import Datagram, DecodeResult, IntakeCounters, Rejected
from pahna.intake.ipfix.templates import (
    VARIABLE_LENGTH,
    Template,
    TemplateCache,
    TemplateKey,
    parse_template_records,
)
from pahna.intake.records import RecordContext, flows_from_records, uint_column
from pahna.schema import FLOW_SCHEMA

HEADER = struct.Struct("!HHIII")
SET_HEADER = struct.Struct("!HH")
VERSION = 10
MAX_PENDING_SETS = 10_000


@dataclass
class _Message:
    exporter: bytes
    domain: int
    export_ms: int
    sequence: int
    received_ms: int
    sets: list[tuple[int, bytes]]  # (set id, body)


@dataclass
class _Run:
    """Records of one template definition gathered across the batch."""

    template: Template
    chunks: list[bytes] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)
    exporters: list[bytes] = field(default_factory=list)
    domains: list[int] = field(default_factory=list)
    export_ms: list[int] = field(default_factory=list)
    sampling: list[int] = field(default_factory=list)


@dataclass
class _Pending:
    key: TemplateKey
    body: bytes
    export_ms: int
    sequence: int
    received_ms: int


def split_messages(payload: bytes) -> list[bytes]:
    """Split back-to-back IPFIX messages (as in a raw datagram file) by their length."""
    out, offset = [], 0
    while offset < len(payload):
        if len(payload) - offset < HEADER.size:
            raise TruncatedError(f"{len(payload) - offset} bytes left, less than a header")
        version, length = struct.unpack_from("!HH", payload, offset)
        if version != VERSION:
            raise UnsupportedVersionError(f"version {version} where IPFIX (10) was expected")
        if length < HEADER.size or offset + length > len(payload):
            raise TruncatedError(f"message length {length} runs past the data")
        out.append(payload[offset : offset + length])
        offset += length
    return out


def parse_message(datagram: Datagram) -> list[_Message]:
    """Check the framing of every message and set in a datagram; no state is touched."""
    messages = []
    for raw in split_messages(datagram.payload):
        _, length, export_s, sequence, domain = HEADER.unpack_from(raw)
        sets, offset = [], HEADER.size
        while offset < length:
            if length - offset < SET_HEADER.size:
                raise TruncatedError("set header cut short")
            set_id, set_length = SET_HEADER.unpack_from(raw, offset)
            if set_length < SET_HEADER.size or offset + set_length > length:
                raise TruncatedError(f"set {set_id} length {set_length} runs past the message")
            if set_id in (0, 1) or 4 <= set_id < 256:
                raise DecodeError(f"reserved set id {set_id}", reason="reserved_set_id")
            sets.append((set_id, raw[offset + SET_HEADER.size : offset + set_length]))
            offset += set_length
        messages.append(
            _Message(datagram.exporter, domain, export_s * 1000, sequence, datagram.received_ms,
                     sets)
        )
    return messages


class IpfixDecoder:
    """Stateful IPFIX decoder: templates and sampling rates persist across calls."""

    def __init__(self, counters: IntakeCounters | None = None, hold_s: float = 60.0) -> None:
        self.counters = counters or IntakeCounters()
        self.templates = TemplateCache()
        self.hold_ms = int(hold_s * 1000)
        self.sampling: dict[tuple[bytes, int], int] = {}
        self._next_sequence: dict[tuple[bytes, int], int] = {}
        self._pending: list[_Pending] = []

    def decode(self, datagrams: list[Datagram], batch_id: str) -> DecodeResult:
        runs: dict[int, _Run] = {}
        rejected: list[Rejected] = []
        for datagram in datagrams:
            counters = self.counters.exporter(datagram.exporter)
            counters.datagrams += 1
            counters.bytes += len(datagram.payload)
            try:
                messages = parse_message(datagram)
                for message in messages:
                    self._check_templates(message)
            except DecodeError as error:
                counters.errors[error.reason] += 1
                rejected.append(Rejected(datagram, error))
                continue
            for message in messages:
                self._apply(message, runs)
        rejected.extend(self._expire_pending(datagrams))
        tables = [self._finish(run, batch_id) for run in runs.values() if run.counts]
        flows = pa.concat_tables(tables) if tables else FLOW_SCHEMA.empty_table()
        return DecodeResult(flows, rejected)

    def _check_templates(self, message: _Message) -> None:
        """Parse template sets and variable-length data up front, so a bad datagram is
        rejected before it changes any state."""
        local: dict[int, Template] = {}
        for set_id, body in message.sets:
            if set_id in (2, 3):
                for item in parse_template_records(body, options=set_id == 3):
                    if isinstance(item, Template):
                        local[item.template_id] = item
                continue
            template = local.get(set_id) or self.templates.get(
                (message.exporter, message.domain, set_id))
            if template is not None and template.record_length is None:
                _normalize_variable(template, body)

    def _apply(self, message: _Message, runs: dict[int, _Run]) -> None:
        records = 0
        known = True
        for set_id, body in message.sets:
            if set_id in (2, 3):
                self._learn(message, body, options=set_id == 3, runs=runs)
                continue
            key = (message.exporter, message.domain, set_id)
            template = self.templates.get(key)
            if template is None:
                known = False
                self.counters.exporter(message.exporter).template_misses += 1
                self._hold(_Pending(key, body, message.export_ms, message.sequence,
                                    message.received_ms))
                continue
            records += self._add(template, key, body, message.export_ms, runs)
        if known:
            self._track_sequence(message, records)

    def _learn(self, message: _Message, body: bytes, options: bool,
               runs: dict[int, _Run]) -> None:
        for item in parse_template_records(body, options):
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

    def _withdraw(self, message: _Message, template_id: int) -> None:
        if template_id in (2, 3):  # withdraw all (data or options) templates of the domain
            self.templates.withdraw_domain(message.exporter, message.domain)
        else:
            self.templates.withdraw((message.exporter, message.domain, template_id))

    def _add(self, template: Template, key: TemplateKey, body: bytes, export_ms: int,
             runs: dict[int, _Run]) -> int:
        """Queue a data set's records; options records update sampling at once."""
        if template.record_length is not None:
            count = len(body) // template.record_length if template.record_length else 0
            chunk = body[: count * template.record_length]
        else:
            chunk, count = _normalize_variable(template, body)
        if count == 0:
            return 0
        if template.scope_count:
            self._learn_sampling(template, key, chunk, count)
            return count
        run = runs.setdefault(id(template), _Run(template))
        run.chunks.append(chunk)
        run.counts.append(count)
        run.exporters.append(key[0])
        run.domains.append(key[1])
        run.export_ms.append(export_ms)
        run.sampling.append(self.sampling.get(key[:2], 1))
        self.counters.exporter(key[0]).records += count
        return count

    def _learn_sampling(self, template: Template, key: TemplateKey, chunk: bytes,
                        count: int) -> None:
        records = np.frombuffer(chunk, dtype=template.dtype, count=count)
        for element in (ie.SAMPLING_INTERVAL, ie.SAMPLER_RANDOM_INTERVAL,
                        ie.SAMPLING_PACKET_SPACE):
            name = template.names.get(element)
            if name is None:
                continue
            values = uint_column(records, name, count)
            if element == ie.SAMPLING_PACKET_SPACE:
                interval = uint_column(records, template.names.get(ie.SAMPLING_PACKET_INTERVAL),
                                       count)
                values = (interval + values) // np.maximum(interval, 1)
            if values.size and int(values[-1]) > 0:
                self.sampling[key[:2]] = int(values[-1])

    def _hold(self, pending: _Pending) -> None:
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
                self._add(template, key, item.body, item.export_ms, runs)
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
            message = _rebuild_message(item)
            error = DecodeError(f"no template {item.key[2]} within the hold time",
                                reason="template_missing")
            out.append(Rejected(Datagram(item.key[0], message, item.received_ms), error))
        return out

    def _track_sequence(self, message: _Message, records: int) -> None:
        domain = (message.exporter, message.domain)
        expected = self._next_sequence.get(domain)
        if expected is not None:
            gap = (message.sequence - expected) % 2**32
            if 0 < gap < 2**31:
                self.counters.exporter(message.exporter).sequence_gaps += gap
        self._next_sequence[domain] = (message.sequence + records) % 2**32

    def _finish(self, run: _Run, batch_id: str) -> pa.Table:
        total = sum(run.counts)
        records = np.frombuffer(b"".join(run.chunks), dtype=run.template.dtype, count=total)
        counts = np.asarray(run.counts)
        exporters = np.frombuffer(b"".join(run.exporters), dtype=np.uint8).reshape(-1, 16)
        ctx = RecordContext(
            exporter=np.repeat(exporters, counts, axis=0),
            observation_domain=np.repeat(np.asarray(run.domains, np.uint32), counts),
            export_ms=np.repeat(np.asarray(run.export_ms, np.int64), counts),
            uptime_ms=None,
            sampling_rate=np.repeat(np.asarray(run.sampling, np.uint32), counts),
        )
        return flows_from_records(records, run.template.names, ctx, batch_id)


def _normalize_variable(template: Template, body: bytes) -> tuple[bytes, int]:
    """Walk records with variable-length fields; keep the fixed fields in dtype layout."""
    out = bytearray()
    offset, count = 0, 0
    while len(body) - offset >= template.min_record_length:
        start = len(out)
        for spec in template.fields:
            length = spec.length
            if length == VARIABLE_LENGTH:
                if offset >= len(body):
                    raise TruncatedError("variable-length field cut short")
                length = body[offset]
                offset += 1
                if length == 255:
                    if len(body) - offset < 2:
                        raise TruncatedError("variable-length field cut short")
                    (length,) = struct.unpack_from("!H", body, offset)
                    offset += 2
                if offset + length > len(body):
                    raise TruncatedError("variable-length field runs past its set")
                offset += length
                continue
            if offset + length > len(body):
                raise TruncatedError("record cut short")
            out += body[offset : offset + length]
            offset += length
        if len(out) - start != template.dtype.itemsize:  # pragma: no cover - invariant
            raise TemplateError("variable-length record did not normalize")
        count += 1
    return bytes(out), count


def _rebuild_message(item: _Pending) -> bytes:
    """A standalone IPFIX message holding one held data set, for quarantine and replay."""
    body = SET_HEADER.pack(item.key[2], len(item.body) + SET_HEADER.size) + item.body
    header = HEADER.pack(VERSION, HEADER.size + len(body), item.export_ms // 1000,
                         item.sequence, item.key[1])
    return header + body
