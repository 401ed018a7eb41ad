"""What every intake decoder takes and gives.

A decoder turns a sequence of :class:`Datagram` (bytes with the address of the exporter
that sent them) into one Arrow table of :data:`pahna.schema.FLOW_SCHEMA` plus the
datagrams it rejected, each with its :class:`~pahna.errors.DecodeError`. A rejected
datagram never takes the other records of its batch with it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

import numpy as np
import pyarrow as pa

from pahna.errors import DecodeError
from pahna.schema import address_to_text


class Datagram(NamedTuple):
    """One export message as received: the exporter's 16-byte address and the payload.

    A named tuple rather than a frozen dataclass: a collector makes one per packet, and
    a tuple is built in a third of the time."""

    exporter: bytes
    payload: bytes
    received_ms: int


@dataclass(frozen=True)
class Rejected:
    datagram: Datagram
    error: DecodeError


@dataclass
class ExporterCounters:
    datagrams: int = 0
    records: int = 0
    bytes: int = 0
    template_misses: int = 0
    sequence_gaps: int = 0
    quarantined: int = 0
    quarantined_bytes: int = 0
    duplicates: int = 0
    errors: Counter[str] = field(default_factory=Counter)


@dataclass
class IntakeCounters:
    """Everything that moves gets a counter, per exporter."""

    by_exporter: dict[bytes, ExporterCounters] = field(default_factory=dict)

    def exporter(self, addr: bytes) -> ExporterCounters:
        if addr not in self.by_exporter:
            self.by_exporter[addr] = ExporterCounters()
        return self.by_exporter[addr]

    def totals(self) -> str:
        """One line for people: datagrams, records, errors and gaps over all exporters."""
        items = list(self.by_exporter.values())
        errors = sum(sum(c.errors.values()) for c in items)
        return (f"{sum(c.datagrams for c in items)} datagrams, "
                f"{sum(c.duplicates for c in items)} duplicates, "
                f"{sum(c.records for c in items)} records, {errors} errors, "
                f"{sum(c.quarantined for c in items)} quarantined, "
                f"{sum(c.sequence_gaps for c in items)} sequence gaps")

    def as_dict(self) -> dict[str, dict[str, object]]:
        return {
            address_to_text(addr): {
                "datagrams": c.datagrams,
                "records": c.records,
                "bytes": c.bytes,
                "template_misses": c.template_misses,
                "sequence_gaps": c.sequence_gaps,
                "quarantined": c.quarantined,
                "quarantined_bytes": c.quarantined_bytes,
                "duplicates": c.duplicates,
                "errors": dict(c.errors),
            }
            for addr, c in sorted(list(self.by_exporter.items()))
        }


@dataclass
class DecodeResult:
    """Flows, the datagrams rejected, and where each flow row came from: `origin[i]` is
    the index of row i's datagram in the datagrams decoded, followed by `released` (data
    sets held by earlier calls and decoded in this one, as standalone messages, with their
    identities in `released_ids`)."""

    flows: pa.Table
    rejected: list[Rejected]
    origin: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    released: list[Datagram] = field(default_factory=list)
    released_ids: list[bytes] = field(default_factory=list)


class Decoder(Protocol):
    """A stateful decoder: templates learnt from one call serve the next."""

    counters: IntakeCounters

    def decode(self, datagrams: list[Datagram], batch_id: str) -> DecodeResult:
        """Decode datagrams in arrival order; never raises on bad input."""
        ...
