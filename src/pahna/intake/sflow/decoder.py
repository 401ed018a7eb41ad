"""Decode sFlow v5 flow samples into flow records: one record per sampled packet.

``bytes`` is the sampled frame's length and ``packets`` 1, with the sample's rate in
``sampling_rate`` (scaled when aggregating). sFlow carries no absolute time, so start and
end are the time the datagram was received. The observation domain is the sub-agent id.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from pahna.errors import DecodeError
from pahna.intake.base import Datagram, DecodeResult, IntakeCounters, Rejected
from pahna.intake.records import binary16_array
from pahna.intake.sflow.datagrams import Samples, parse_datagram
from pahna.intake.sflow.headers import decode_headers, header_matrix
from pahna.schema import FLOW_SCHEMA


class SflowDecoder:
    """Stateless but for sequence numbers per agent and sub-agent."""

    def __init__(self, counters: IntakeCounters | None = None) -> None:
        self.counters = counters or IntakeCounters()
        self._next_sequence: dict[tuple[bytes, int], int] = {}

    def decode(self, datagrams: list[Datagram], batch_id: str) -> DecodeResult:
        samples = Samples()
        exporters: list[bytes] = []
        domains: list[int] = []
        received: list[int] = []
        origins: list[int] = []
        rejected: list[Rejected] = []
        for index, datagram in enumerate(datagrams):
            counters = self.counters.exporter(datagram.exporter)
            counters.datagrams += 1
            counters.bytes += len(datagram.payload)
            before = len(samples)
            try:
                header = parse_datagram(datagram.payload, samples)
            except DecodeError as error:
                counters.errors[error.reason] += 1
                rejected.append(Rejected(datagram, error))
                continue
            added = len(samples) - before
            counters.records += added
            self._track_sequence(datagram.exporter, header.sub_agent, header.sequence)
            exporters.extend([datagram.exporter] * added)
            domains.extend([header.sub_agent] * added)
            received.extend([datagram.received_ms] * added)
            origins.extend([index] * added)
        flows = _flows(samples, exporters, domains, received, batch_id)
        return DecodeResult(flows, rejected, np.asarray(origins, np.int64))

    def _track_sequence(self, exporter: bytes, sub_agent: int, sequence: int) -> None:
        key = (exporter, sub_agent)
        expected = self._next_sequence.get(key)
        if expected is not None:
            gap = (sequence - expected) % 2**32
            if 0 < gap < 2**31:
                self.counters.exporter(exporter).sequence_gaps += gap
        self._next_sequence[key] = (sequence + 1) % 2**32


def _flows(samples: Samples, exporters: list[bytes], domains: list[int], received: list[int],
           batch_id: str) -> pa.Table:
    n = len(samples)
    if n == 0:
        return FLOW_SCHEMA.empty_table()
    fields = decode_headers(header_matrix(samples.headers),
                           np.asarray(samples.header_protocol, np.int64))
    when = np.asarray(received, np.int64)
    columns = {
        "exporter": binary16_array(np.frombuffer(b"".join(exporters), np.uint8).reshape(-1, 16)),
        "observation_domain": np.asarray(domains, np.uint32),
        "src_addr": binary16_array(fields["src"]),
        "dst_addr": binary16_array(fields["dst"]),
        "src_port": fields["src_port"],
        "dst_port": fields["dst_port"],
        "protocol": fields["protocol"],
        "bytes": np.asarray(samples.frame_length, np.uint64),
        "packets": np.ones(n, np.uint64),
        "start_ms": when,
        "end_ms": when,
        "sampling_rate": np.asarray(samples.sampling_rate, np.uint32),
        "input_if": np.asarray(samples.input_if, np.uint32),
        "output_if": np.asarray(samples.output_if, np.uint32),
        "direction": np.full(n, 255, np.uint8),
        "src_as": np.zeros(n, np.uint32),
        "dst_as": np.zeros(n, np.uint32),
        "batch_id": pa.repeat(pa.scalar(batch_id, pa.string()), n),
    }
    arrays = [v if isinstance(v, pa.Array) else pa.array(v, type=FLOW_SCHEMA.field(k).type)
              for k, v in columns.items()]
    return pa.Table.from_arrays(arrays, schema=FLOW_SCHEMA)
