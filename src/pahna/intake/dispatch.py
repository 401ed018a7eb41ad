"""Route each datagram to the decoder for its protocol version."""

from __future__ import annotations

import pyarrow as pa

from pahna.errors import UnsupportedVersionError
from pahna.intake.base import Datagram, Decoder, DecodeResult, IntakeCounters, Rejected
from pahna.intake.ipfix import IpfixDecoder
from pahna.schema import FLOW_SCHEMA


def export_version(payload: bytes) -> int:
    """The version field of a flow export: 16 bits for NetFlow/IPFIX, 32 for sFlow."""
    if len(payload) >= 4 and payload[:4] == b"\x00\x00\x00\x05":
        return 5_000  # sFlow v5, kept apart from NetFlow v5
    return int.from_bytes(payload[:2], "big") if len(payload) >= 2 else -1


class FlowDecoder:
    """One decoder for every supported export format, sharing one set of counters."""

    def __init__(self, hold_s: float = 60.0) -> None:
        self.counters = IntakeCounters()
        self.decoders: dict[int, Decoder] = {10: IpfixDecoder(self.counters, hold_s)}

    def decode(self, datagrams: list[Datagram], batch_id: str) -> DecodeResult:
        by_version: dict[int, list[Datagram]] = {}
        rejected: list[Rejected] = []
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
        return DecodeResult(flows, rejected)
