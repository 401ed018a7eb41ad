"""Decode NetFlow v5: fixed 48-byte records, read a whole batch at a time.

Every valid packet's records are joined and read with one ``np.frombuffer``; the header
facts (export time, sysUptime, engine, sampling) are spread over the records with
``np.repeat``. A packet whose record count disagrees with its length is rejected whole.
The header's sampling field holds a 2-bit mode and a 14-bit interval (0 = unsampled).
"""

from __future__ import annotations

import struct

import numpy as np
import pyarrow as pa

from pahna.errors import DecodeError, TruncatedError, UnsupportedVersionError
from pahna.intake.base import Datagram, DecodeResult, IntakeCounters, Rejected
from pahna.intake.records import binary16_array
from pahna.schema import FLOW_SCHEMA, IPV4_MAPPED_PREFIX

HEADER = struct.Struct("!HHIIIIBBH")
VERSION = 5
MAX_RECORDS = 30
RECORD = np.dtype([
    ("src", "u1", (4,)), ("dst", "u1", (4,)), ("nexthop", "u1", (4,)),
    ("input", ">u2"), ("output", ">u2"),
    ("packets", ">u4"), ("bytes", ">u4"), ("first", ">u4"), ("last", ">u4"),
    ("src_port", ">u2"), ("dst_port", ">u2"), ("pad1", "u1"), ("tcp_flags", "u1"),
    ("protocol", "u1"), ("tos", "u1"), ("src_as", ">u2"), ("dst_as", ">u2"),
    ("src_mask", "u1"), ("dst_mask", "u1"), ("pad2", ">u2"),
])


Header = tuple[int, int, int, int, int, int]
"""(count, uptime_ms, export_ms, sequence, engine, sampling rate) of one packet."""


def parse_header(payload: bytes, offset: int = 0) -> Header:
    """The header of the packet at `offset`, checked against the bytes that follow."""
    if len(payload) - offset < HEADER.size:
        raise TruncatedError(f"{len(payload) - offset} bytes, less than a NetFlow v5 header")
    version, count, uptime, secs, nsecs, sequence, etype, eid, sampling = HEADER.unpack_from(
        payload, offset)
    if version != VERSION:
        raise UnsupportedVersionError(f"version {version} where NetFlow v5 was expected")
    if not 1 <= count <= MAX_RECORDS:
        raise DecodeError(f"record count {count} outside 1..{MAX_RECORDS}", reason="bad_count")
    if len(payload) - offset < HEADER.size + count * RECORD.itemsize:
        raise TruncatedError(f"{count} records need {HEADER.size + count * RECORD.itemsize} "
                             f"bytes, {len(payload) - offset} are left")
    rate = sampling & 0x3FFF
    export_ms = secs * 1000 + nsecs // 1_000_000
    return count, uptime, export_ms, sequence, (etype << 8) | eid, max(rate, 1)


def split_packets(payload: bytes) -> list[tuple[Header, bytes]]:
    """Every packet in a payload (a file may hold several back to back), all checked."""
    out, offset = [], 0
    while offset < len(payload):
        header = parse_header(payload, offset)
        end = offset + HEADER.size + header[0] * RECORD.itemsize
        out.append((header, payload[offset + HEADER.size : end]))
        offset = end
    return out


class NetflowV5Decoder:
    """NetFlow v5 has no templates; state is only the next sequence number per engine."""

    def __init__(self, counters: IntakeCounters | None = None) -> None:
        self.counters = counters or IntakeCounters()
        self._next_sequence: dict[tuple[bytes, int], int] = {}

    def decode(self, datagrams: list[Datagram], batch_id: str) -> DecodeResult:
        chunks: list[bytes] = []
        exporters: list[bytes] = []
        headers: list[tuple[int, int, int, int]] = []
        counts: list[int] = []
        origins: list[int] = []
        rejected: list[Rejected] = []
        for index, datagram in enumerate(datagrams):
            counters = self.counters.exporter(datagram.exporter)
            counters.datagrams += 1
            counters.bytes += len(datagram.payload)
            try:
                packets = split_packets(datagram.payload)
            except DecodeError as error:
                counters.errors[error.reason] += 1
                rejected.append(Rejected(datagram, error))
                continue
            for (count, uptime, export_ms, sequence, domain, rate), chunk in packets:
                self._track_sequence(datagram.exporter, domain, sequence, count)
                counters.records += count
                chunks.append(chunk)
                exporters.append(datagram.exporter)
                headers.append((uptime, export_ms, domain, rate))
                counts.append(count)
                origins.append(index)
        if not counts:
            return DecodeResult(FLOW_SCHEMA.empty_table(), rejected)
        records = np.frombuffer(b"".join(chunks), dtype=RECORD)
        return DecodeResult(_flows(records, exporters, headers, counts, batch_id), rejected,
                            np.repeat(np.asarray(origins, np.int64), counts))

    def _track_sequence(self, exporter: bytes, domain: int, sequence: int, count: int) -> None:
        key = (exporter, domain)
        expected = self._next_sequence.get(key)
        if expected is not None:
            gap = (sequence - expected) % 2**32
            if 0 < gap < 2**31:
                self.counters.exporter(exporter).sequence_gaps += gap
        self._next_sequence[key] = (sequence + count) % 2**32


def _v4_mapped(raw: np.ndarray) -> pa.Array:
    out = np.empty((len(raw), 16), dtype=np.uint8)
    out[:, :12] = np.frombuffer(IPV4_MAPPED_PREFIX, dtype=np.uint8)
    out[:, 12:] = raw
    return binary16_array(out)


def _flows(records: np.ndarray, exporters: list[bytes], headers: list[tuple[int, int, int, int]],
           counts: list[int], batch_id: str) -> pa.Table:
    n = len(records)
    repeat = np.asarray(counts)
    head = np.asarray(headers, dtype=np.int64)
    uptime, export_ms, domain, rate = (np.repeat(head[:, i], repeat) for i in range(4))
    exporter = np.repeat(np.frombuffer(b"".join(exporters), np.uint8).reshape(-1, 16), repeat,
                         axis=0)
    start = export_ms - (uptime - records["first"].astype(np.int64)) % 2**32
    end = export_ms - (uptime - records["last"].astype(np.int64)) % 2**32
    columns = {
        "exporter": binary16_array(exporter),
        "observation_domain": domain.astype(np.uint32),
        "src_addr": _v4_mapped(records["src"]),
        "dst_addr": _v4_mapped(records["dst"]),
        "src_port": records["src_port"].astype(np.uint16),
        "dst_port": records["dst_port"].astype(np.uint16),
        "protocol": records["protocol"].astype(np.uint8),
        "bytes": records["bytes"].astype(np.uint64),
        "packets": records["packets"].astype(np.uint64),
        "start_ms": start,
        "end_ms": np.maximum(end, start),
        "sampling_rate": rate.astype(np.uint32),
        "input_if": records["input"].astype(np.uint32),
        "output_if": records["output"].astype(np.uint32),
        "direction": np.full(n, 255, np.uint8),
        "src_as": records["src_as"].astype(np.uint32),
        "dst_as": records["dst_as"].astype(np.uint32),
        "batch_id": pa.repeat(pa.scalar(batch_id, pa.string()), n),
    }
    arrays = [v if isinstance(v, pa.Array) else pa.array(v, type=FLOW_SCHEMA.field(k).type)
              for k, v in columns.items()]
    return pa.Table.from_arrays(arrays, schema=FLOW_SCHEMA)
