"""Encode flow tables as sFlow v5 datagrams (one flow sample with a raw Ethernet header
per row, frame length = bytes): the agent side, for tests and benchmarks."""

from __future__ import annotations

import struct
from collections.abc import Iterator

import pyarrow as pa

from pahna.schema import IPV4_MAPPED_PREFIX


def _packet_header(row: dict[str, object]) -> bytes:
    src, dst = bytes(row["src_addr"]), bytes(row["dst_addr"])  # type: ignore[call-overload]
    protocol = int(row["protocol"])  # type: ignore[call-overload]
    l4 = struct.pack("!HH", row["src_port"], row["dst_port"]) + b"\x00" * 16
    if src[:12] == IPV4_MAPPED_PREFIX and dst[:12] == IPV4_MAPPED_PREFIX:
        ip = struct.pack("!BBHHHBBH", 0x45, 0, 40, 0, 0, 64, protocol, 0) + src[12:] + dst[12:]
        ethertype = 0x0800
    else:
        ip = struct.pack("!IHBB", 0x60000000, 20, protocol, 64) + src + dst
        ethertype = 0x86DD
    return b"\x02" * 6 + b"\x04" * 6 + struct.pack("!H", ethertype) + ip + l4


def _flow_sample(row: dict[str, object], sequence: int) -> bytes:
    header = _packet_header(row)
    padded = header + b"\x00" * (-len(header) % 4)
    raw = struct.pack("!IIII", 1, row["bytes"], 0, len(header)) + padded
    record = struct.pack("!II", 1, len(raw)) + raw
    body = struct.pack("!IIIIIIII", sequence, 0, row["sampling_rate"], 0, 0,
                       row["input_if"], row["output_if"], 1) + record
    return struct.pack("!II", 1, len(body)) + body


def encode_sflow(flows: pa.Table, agent: bytes = b"\xc0\x00\x02\x01", sub_agent: int = 0,
                 per_datagram: int = 8, first_sequence: int = 0) -> Iterator[bytes]:
    """sFlow v5 datagrams from an IPv4 agent, `per_datagram` samples each."""
    rows = flows.to_pylist()
    sequence = first_sequence
    for start in range(0, len(rows), per_datagram):
        chunk = rows[start : start + per_datagram]
        samples = b"".join(_flow_sample(row, start + i) for i, row in enumerate(chunk))
        header = struct.pack("!II4sIIII", 5, 1, agent, sub_agent, sequence, 0, len(chunk))
        yield header + samples
        sequence = (sequence + 1) % 2**32
