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

from pahna.errors import UnsupportedVersionError
from pahna.intake.base import Datagram, Decoder, DecodeResult, IntakeCounters, Rejected
from pahna.intake.ipfix import IpfixDecoder
from pahna.intake.netflow import NetflowV5Decoder, NetflowV9Decoder
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
        by_version: dict[int, list[Datagram]] = {}
        rejected: list[Rejected] = []
        single = _single_version(datagrams)
        if single in self.decoders:
            by_version[single] = datagrams
            datagrams = []
        for datagram in datagrams:
            version = export_version(datagram.payload)
            if version in self.decoders:
                by_version.setdefault(version, []).append(datagram)
                continue
            counters = self.counters.exporter(datagram.exporter)
            counters.datagrams += 1
            counters.bytes += len(datagram.payload)
            error = UnsupportedVersionError(f"unknown export version {version}")
            counters.errors[error.reason] += 1
            rejected.append(Rejected(datagram, error))
        tables = []
        for version, group in by_version.items():
            result = self.decoders[version].decode(group, batch_id)
            tables.append(result.flows)
            rejected.extend(result.rejected)
        flows = pa.concat_tables(tables) if tables else FLOW_SCHEMA.empty_table()
        return DecodeResult(self._override_sampling(flows), rejected)

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
        """Templates and sampling rates, JSON-ready, to survive a restart."""
        return {"format": STATE_FORMAT, **{
            name: {"templates": d.templates.to_list(), "sampling": d.sampling.to_list()}
            for name, d in self.templated.items()}}

    def restore(self, state: dict[str, Any]) -> None:
        """Load what :meth:`state` saved (a state of another format is ignored)."""
        if state.get("format") != STATE_FORMAT:
            return
        for name, decoder in self.templated.items():
            saved = state.get(name, {})
            decoder.templates.load_list(saved.get("templates", []))
            decoder.sampling.load_list(saved.get("sampling", []))
