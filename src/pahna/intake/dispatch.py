"""Route each datagram to the decoder for its protocol version.

The dispatcher also owns what spans formats: one set of counters, the per-exporter
sampling override from configuration (it replaces whatever rate the export carried),
and the template state saved across restarts.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np
import pyarrow as pa

from pahna.errors import DecodeError, UnsupportedVersionError
from pahna.intake.base import Datagram, Decoder, DecodeResult, IntakeCounters, Rejected
from pahna.intake.hold import Pending
from pahna.intake.ipfix import IpfixDecoder
from pahna.intake.netflow import NetflowV5Decoder, NetflowV9Decoder
from pahna.intake.plausible import broken_rules
from pahna.intake.sflow import SflowDecoder
from pahna.intake.templated import TemplatedDecoder
from pahna.schema import FLOW_SCHEMA

SFLOW_V5 = 5_000
_PAYLOAD = operator.attrgetter("payload")
_HEAD = operator.itemgetter(slice(0, 4))
STATE_FORMAT = 1


def warm_up() -> None:
    """Decode one synthetic message with a throwaway decoder, so that the one-time costs
    (pyarrow's lazy imports on first conversion) are paid before a collector starts its
    flush clock rather than inside its first flush."""
    from pahna.intake.ipfix.encoder import encode_flows

    row: dict[str, object] = {name: 0 for name in FLOW_SCHEMA.names}
    row.update(exporter=bytes(16), src_addr=bytes(16), dst_addr=bytes(16), sampling_rate=1,
               batch_id="")
    flows = pa.Table.from_pylist([row], schema=FLOW_SCHEMA)
    decoder = FlowDecoder()
    decoder.decode([Datagram(bytes(16), m, 0) for m in encode_flows(flows)], "warm-up")


def _single_version(datagrams: list[Datagram]) -> int | None:
    """The version shared by every datagram of a batch (the usual case), else None."""
    if not datagrams:
        return None
    heads = set(map(_HEAD, map(_PAYLOAD, datagrams)))
    versions = {export_version(head) for head in heads}
    return versions.pop() if len(versions) == 1 else None


def export_version(payload: bytes) -> int:
    """The version field of a flow export: 16 bits for NetFlow/IPFIX, 32 for sFlow."""
    head = payload[:2]
    if head == b"\x00\x00" and payload[2:4] == b"\x00\x05":
        return SFLOW_V5  # sFlow v5, kept apart from NetFlow v5
    return int.from_bytes(head, "big") if len(head) == 2 else -1


class FlowDecoder:
    """One decoder for every supported export format, sharing one set of counters."""

    def __init__(self, hold_s: float = 60.0,
                 sampling_override: dict[bytes, int] | None = None) -> None:
        self.counters = IntakeCounters()
        self.sampling_override = dict(sampling_override or {})
        self.templated: dict[str, TemplatedDecoder] = {
            "ipfix": IpfixDecoder(self.counters, hold_s),
            "v9": NetflowV9Decoder(self.counters, hold_s),
        }
        self.decoders: dict[int, Decoder] = {
            10: self.templated["ipfix"], 9: self.templated["v9"],
            5: NetflowV5Decoder(self.counters), SFLOW_V5: SflowDecoder(self.counters),
        }

    def decode(self, datagrams: list[Datagram], batch_id: str) -> DecodeResult:
        """Decode a batch; never raises on bad input. A datagram with a record that breaks a
        rule of :mod:`pahna.intake.plausible` is rejected whole after decoding."""
        groups: dict[int, list[int]] = {}
        rejected: list[Rejected] = []
        single = _single_version(datagrams)
        if single in self.decoders:
            groups[single] = list(range(len(datagrams)))
        else:
            for index, datagram in enumerate(datagrams):
                version = export_version(datagram.payload)
                if version in self.decoders:
                    groups.setdefault(version, []).append(index)
                    continue
                rejected.append(self._refuse(datagram, DecodeError(
                    "an empty datagram: no export header", "empty") if not datagram.payload
                    else UnsupportedVersionError(f"unknown export version {version}")))
        tables, origins = [], []
        released: list[Datagram] = []
        released_ids: list[list[bytes]] = []
        for version, indices in groups.items():
            group = datagrams if len(indices) == len(datagrams) else [datagrams[i] for i in indices]
            result = self.decoders[version].decode(group, batch_id)
            # origins into `group` + result.released -> into `datagrams` + released
            mapping = np.concatenate([np.asarray(indices, np.int64), len(datagrams) + len(
                released) + np.arange(len(result.released), dtype=np.int64)])
            tables.append(result.flows)
            origins.append(mapping[result.origin])
            rejected.extend(result.rejected)
            released.extend(result.released)
            released_ids.append(result.released_ids)
        flows = pa.concat_tables(tables) if tables else FLOW_SCHEMA.empty_table()
        origin = np.concatenate(origins) if origins else np.zeros(0, np.int64)
        result = DecodeResult(self._override_sampling(flows), rejected, origin, released,
                              [i for group in released_ids for i in group])
        return self._reject_implausible(result, datagrams)

    def learn(self, datagrams: list[Datagram], batch_id: str) -> DecodeResult:
        """Duplicates of what the store holds: templates and sampling learnt, data not
        decoded; returns the held sets their templates released (see
        :meth:`TemplatedDecoder.learn`)."""
        for datagram in datagrams:
            self.counters.exporter(datagram.exporter).duplicates += 1
        tables, origins = [], []
        released: list[Datagram] = []
        ids: list[bytes] = []
        for decoder in self.templated.values():
            result = decoder.learn(datagrams, batch_id)
            tables.append(result.flows)
            origins.append(result.origin - len(datagrams) + len(released))
            released += result.released
            ids += result.released_ids
        flows = pa.concat_tables(tables)
        result = DecodeResult(self._override_sampling(flows), [], np.concatenate(origins),
                              released, ids)
        return self._reject_implausible(result, [])

    def _refuse(self, datagram: Datagram, error: DecodeError) -> Rejected:
        """A datagram no decoder takes (empty, or of a version pahna does not read)."""
        counters = self.counters.exporter(datagram.exporter)
        counters.datagrams += 1
        counters.bytes += len(datagram.payload)
        counters.errors[error.reason] += 1
        return Rejected(datagram, error)

    def _reject_implausible(self, result: DecodeResult, datagrams: list[Datagram]
                            ) -> DecodeResult:
        broken = broken_rules(result.flows)
        if not broken:
            return result
        sources = [*datagrams, *result.released]
        reasons: dict[int, str] = {}
        for reason, mask in broken:
            for origin in np.unique(result.origin[mask]).tolist():
                reasons.setdefault(origin, reason)
        bad = np.isin(result.origin, np.fromiter(reasons, np.int64, len(reasons)))
        for origin, reason in sorted(reasons.items()):
            datagram = sources[origin]
            counters = self.counters.exporter(datagram.exporter)
            counters.records -= int((result.origin == origin).sum())
            counters.errors[reason] += 1
            result.rejected.append(Rejected(datagram, DecodeError(
                f"a record breaks the rule {reason!r} (see pahna.intake.plausible)", reason)))
        keep = ~bad
        return DecodeResult(result.flows.filter(pa.array(keep)), result.rejected,
                            result.origin[keep], result.released, result.released_ids)

    def _override_sampling(self, flows: pa.Table) -> pa.Table:
        if not self.sampling_override or not flows.num_rows:
            return flows
        exporters = np.asarray(flows.column("exporter").to_pylist(), dtype=object)
        rates = flows.column("sampling_rate").to_numpy().copy()
        for exporter, rate in self.sampling_override.items():
            rates[exporters == exporter] = rate
        index = flows.schema.get_field_index("sampling_rate")
        return flows.set_column(index, FLOW_SCHEMA.field(index), pa.array(rates, pa.uint32()))

    def state(self) -> dict[str, Any]:
        """Templates, sampling rates and held datagrams, JSON-ready, to survive a restart."""
        return {"format": STATE_FORMAT, **{
            name: d.state() for name, d in self.templated.items()}}

    def restore(self, state: dict[str, Any]) -> None:
        """Load what :meth:`state` saved (a state of another format is ignored)."""
        if state.get("format") != STATE_FORMAT:
            return
        for name, decoder in self.templated.items():
            decoder.restore(state.get(name, {}))

    def held(self) -> int:
        """Data sets waiting for a template."""
        return sum(len(d.hold) for d in self.templated.values())

    def held_now(self) -> list[Pending]:
        """The held data sets (standalone messages with their identities)."""
        return [p for d in self.templated.values() for p in d.hold.items]

    def shutdown(self) -> list[Rejected]:
        """Every held datagram, rejected for quarantine (the decoder stops)."""
        out = [r for d in self.templated.values() for r in d.shutdown()]
        for item in out:
            self.counters.exporter(item.datagram.exporter).errors[item.error.reason] += 1
        return out
