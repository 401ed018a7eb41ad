"""The engine shared by the template-based formats (IPFIX and NetFlow v9).

A datagram is checked and parsed whole before it touches any state, so a malformed one
is rejected without side effects. Data sets are not decoded one record at a time: the
bytes of every set that uses the same template are joined and read with a single
``np.frombuffer`` (see :mod:`pahna.intake.records`). A data set that arrives before its
template waits (see :mod:`pahna.intake.hold`) and is decoded when the template comes.
Every record keeps the index of the datagram it came from (`origin`), so a datagram can
still be rejected whole after decoding (see :mod:`pahna.intake.plausible`).

A format supplies how to parse its messages and template sets (:class:`TemplatedDecoder`
subclasses); set ids are normalized to IPFIX's (2 templates, 3 options templates).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from pahna.errors import DecodeError, TemplateError
from pahna.intake.base import Datagram, DecodeResult, IntakeCounters, Rejected
from pahna.intake.hold import Hold, Pending, saved_messages
from pahna.intake.identity import message_identity
from pahna.intake.runs import Run, finish_run
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

TEMPLATE_SET, OPTIONS_SET = 2, 3
_WITHDRAWN = object()


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


class TemplatedDecoder:
    """Stateful decoder: templates, sampling rates and held datagrams persist across calls."""

    sequence_per_record = True
    """IPFIX counts records in its sequence number; NetFlow v9 counts messages."""
    layout: HeaderLayout
    """Where the format's header fields are, for runs of alike datagrams."""

    def __init__(self, counters: IntakeCounters | None = None, hold_s: float = 60.0) -> None:
        self.counters = counters or IntakeCounters()
        self.templates = TemplateCache()
        self.hold = Hold(int(hold_s * 1000))
        self.sampling = SamplingTable()
        self._next_sequence: dict[tuple[bytes, int], int] = {}
        self._released: list[Datagram] = []
        self._released_ids: list[bytes] = []
        self._rejected: list[Rejected] = []
        self._base = 0

    # --- what a format provides -------------------------------------------------------
    def parse(self, datagram: Datagram) -> list[Message]:
        raise NotImplementedError

    def parse_templates(self, body: bytes, options: bool) -> list[Template | int]:
        raise NotImplementedError

    def rebuild(self, message: Message, set_id: int, body: bytes) -> bytes:
        """A standalone message holding one data set of `message`, for hold and quarantine."""
        raise NotImplementedError

    # --- the engine -------------------------------------------------------------------
    def decode(self, datagrams: list[Datagram], batch_id: str) -> DecodeResult:
        """Decode in arrival order. Records from datagrams released from the hold have
        origins len(datagrams) + i for `released[i]`."""
        runs: dict[int, Run] = {}
        self._released, self._released_ids = [], []
        self._rejected, self._base = [], len(datagrams)
        for start, end in runs_of_alike(datagrams):
            group = datagrams[start:end]
            if len(group) >= MIN_RUN and self._decode_uniform(group, start, runs):
                continue
            for index, datagram in enumerate(group, start):
                self._decode_one(datagram, index, runs)
        if datagrams:
            self._count_rejected(self.hold.expire(max(d.received_ms for d in datagrams)))
        return self._result(runs, batch_id)

    def learn(self, datagrams: list[Datagram], batch_id: str) -> DecodeResult:
        """Datagrams the store already holds: learn their templates and options records
        (sampling), decode none of their data. Held sets their templates release are
        decoded (origins len(datagrams) + i, as in :meth:`decode`)."""
        runs: dict[int, Run] = {}
        self._released, self._released_ids = [], []
        self._rejected, self._base = [], len(datagrams)
        for datagram in datagrams:
            try:
                messages = self.parse(datagram)
                self._check(messages)
            except DecodeError:
                continue  # its first copy was rejected and quarantined
            for message in messages:
                for set_id, body in message.sets:
                    key = (message.exporter, message.domain, set_id)
                    if set_id in (TEMPLATE_SET, OPTIONS_SET):
                        self._learn(message, body, options=set_id == OPTIONS_SET, runs=runs)
                    elif (template := self.templates.get(key)) and template.scope_count:
                        self._add(template, key, body, message, runs, -1)
        return self._result(runs, batch_id)

    def _result(self, runs: dict[int, Run], batch_id: str) -> DecodeResult:
        finished = [f for run in runs.values() if (f := finish_run(run, batch_id))]
        flows = pa.concat_tables([t for t, _ in finished]) if finished else (
            FLOW_SCHEMA.empty_table())
        origin = np.concatenate([o for _, o in finished]) if finished else np.zeros(0, np.int64)
        return DecodeResult(flows, self._rejected, origin, self._released, self._released_ids)

    def shutdown(self) -> list[Rejected]:
        """Reject every held datagram (for quarantine): the decoder is stopping."""
        return self.hold.drain()

    def _decode_one(self, datagram: Datagram, origin: int, runs: dict[int, Run]) -> None:
        counters = self.counters.exporter(datagram.exporter)
        counters.datagrams += 1
        counters.bytes += len(datagram.payload)
        try:
            messages = self.parse(datagram)
            self._check(messages)
        except DecodeError as error:
            counters.errors[error.reason] += 1
            self._rejected.append(Rejected(datagram, error))
            return
        part = 0
        for message in messages:
            part = self._apply(message, runs, origin, datagram, part)

    def _count_rejected(self, rejected: list[Rejected]) -> None:
        for item in rejected:
            self.counters.exporter(item.datagram.exporter).errors[item.error.reason] += 1
        self._rejected.extend(rejected)

    def _decode_uniform(self, group: list[Datagram], first: int, runs: dict[int, Run]) -> bool:
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
                run = runs.setdefault(id(item.template), Run(item.template))
                run.blocks.append(Block(set_records(rows, item), item.count, exporter, domain,
                                        export_ms, uptime, item.rate, first))
        return True

    def _check(self, messages: list[Message], templates: bool = True) -> set[TemplateKey]:
        """Parse template sets and variable-length data up front, in order, as applying
        them would, so that a bad datagram is rejected before it changes any state.
        Returns the template keys its data sets need and will not find."""
        local: dict[TemplateKey, Any] = {}
        missing: set[TemplateKey] = set()
        for message in messages:
            for set_id, body in message.sets:
                key = (message.exporter, message.domain, set_id)
                if set_id in (TEMPLATE_SET, OPTIONS_SET):
                    parsed = self.parse_templates(body, options=set_id == OPTIONS_SET)
                    if templates:
                        self._check_learn(message, parsed, local)
                    continue
                template = local.get(key, self.templates.get(key))
                if template is None or template is _WITHDRAWN:
                    missing.add(key)
                elif template.record_length is None:
                    normalize_variable(template, body)
        return missing

    def _check_learn(self, message: Message, parsed: list[Template | int],
                     local: dict[TemplateKey, Any]) -> None:
        for item in parsed:
            if isinstance(item, int):
                if item in (TEMPLATE_SET, OPTIONS_SET):
                    for key in self.templates.keys_of(message.exporter, message.domain):
                        local[key] = _WITHDRAWN
                    local.update({k: _WITHDRAWN for k in list(local) if k[:2] == (
                        message.exporter, message.domain)})
                else:
                    local[(message.exporter, message.domain, item)] = _WITHDRAWN
                continue
            key = (message.exporter, message.domain, item.template_id)
            if self.templates.accepts(key):
                local[key] = item

    def _apply(self, message: Message, runs: dict[int, Run], origin: int,
               datagram: Datagram | None = None, part: int = 0) -> int:
        """Learn the templates and queue the data of a checked message, holding the data
        sets whose template is unknown. `datagram` is None for a held set released (its
        templates were learnt on arrival). Returns the next data-set number."""
        records, known = 0, True
        for set_id, body in message.sets:
            if set_id in (TEMPLATE_SET, OPTIONS_SET):
                if datagram is not None:
                    self._learn(message, body, options=set_id == OPTIONS_SET, runs=runs)
                continue
            part += 1
            key = (message.exporter, message.domain, set_id)
            template = self.templates.get(key)
            if template is None and datagram is not None:
                known = False
                self._hold(message, key, body, datagram, part)
                continue
            try:
                if template is None:  # refused by the cache after the check: counted
                    raise DecodeError(f"template {set_id} was not kept", reason="template_refused")
                records += self._add(template, key, body, message, runs, origin)
            except DecodeError as error:
                self.counters.exporter(message.exporter).errors[error.reason] += 1
        if datagram is not None and (known or not self.sequence_per_record):
            self._track_sequence(message, records)
        return part

    def _hold(self, message: Message, key: TemplateKey, body: bytes, datagram: Datagram,
              part: int) -> None:
        self.counters.exporter(message.exporter).template_misses += 1
        alone = Datagram(message.exporter, self.rebuild(message, key[2], body),
                         message.received_ms)
        self._count_rejected(self.hold.add(Pending(key, alone,
                                                   message_identity(datagram, part)[0])))

    def _learn(self, message: Message, body: bytes, options: bool, runs: dict[int, Run]) -> None:
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
            self._release(key, runs)

    def _withdraw(self, message: Message, template_id: int) -> None:
        if template_id in (TEMPLATE_SET, OPTIONS_SET):  # withdraw all templates of the domain
            self.templates.withdraw_domain(message.exporter, message.domain)
        else:
            self.templates.withdraw((message.exporter, message.domain, template_id))

    def _add(self, template: Template, key: TemplateKey, body: bytes, message: Message,
             runs: dict[int, Run], origin: int) -> int:
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
        run = runs.setdefault(id(template), Run(template))
        run.chunks.append(chunk)
        run.counts.append(count)
        run.exporters.append(key[0])
        run.domains.append(key[1])
        run.export_ms.append(message.export_ms)
        run.uptime_ms.append(message.uptime_ms if message.uptime_ms is not None else -1)
        run.sampling.append(self.sampling.rates(key[:2], template, chunk, count))
        run.origins.append(origin)
        self.counters.exporter(key[0]).records += count
        return count

    def _release(self, key: TemplateKey, runs: dict[int, Run]) -> None:
        """Decode the held sets that waited for `key`."""
        for pending in self.hold.take(key):
            self._decode_held(pending, runs)

    def _decode_held(self, pending: Pending, runs: dict[int, Run]) -> None:
        try:
            messages = self.parse(pending.datagram)
            self._check(messages, templates=False)
        except DecodeError as error:
            self.counters.exporter(pending.datagram.exporter).errors[error.reason] += 1
            self._rejected.append(Rejected(pending.datagram, error))
            return
        origin = self._base + len(self._released)
        self._released.append(pending.datagram)
        self._released_ids.append(pending.identity)
        for message in messages:
            self._apply(message, runs, origin)

    def _track_sequence(self, message: Message, records: int) -> None:
        domain = (message.exporter, message.domain)
        expected = self._next_sequence.get(domain)
        if expected is not None:
            gap = (message.sequence - expected) % 2**32
            if 0 < gap < 2**31:
                self.counters.exporter(message.exporter).sequence_gaps += gap
        step = records if self.sequence_per_record else 1
        self._next_sequence[domain] = (message.sequence + step) % 2**32

    # --- state ------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """Templates, sampling rates and held datagrams, JSON-ready."""
        return {"templates": self.templates.to_list(), "sampling": self.sampling.to_list(),
                "held": self.hold.to_list()}

    def restore(self, saved: dict[str, Any]) -> None:
        """Load what :meth:`state` saved; held sets wait again for their template."""
        self.templates.load_list(saved.get("templates", []))
        self.sampling.load_list(saved.get("sampling", []))
        for message, identity in saved_messages(saved.get("held", [])):
            try:
                parsed = self.parse(message)
            except DecodeError:
                continue  # not a message this format wrote: nothing to hold
            for item in parsed:
                for set_id, _ in item.sets:
                    self.hold.add(Pending((item.exporter, item.domain, set_id), message,
                                          identity))
