"""sFlow v5 framing: walk a datagram's samples and flow records (XDR, big-endian).

Only the walk is done per sample (sFlow is a list of tagged, length-prefixed items);
the sampled packet headers it finds are decoded for all samples at once in
:mod:`pahna.intake.sflow.headers`. Counter samples and flow records other than raw
packet headers are skipped by their length.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from pahna.errors import DecodeError, TruncatedError, UnsupportedVersionError

VERSION = 5
FLOW_SAMPLE, EXPANDED_FLOW_SAMPLE = 1, 3
RAW_HEADER = 1
MAX_SAMPLES = 4096
_U32 = struct.Struct("!I")
_FLOW = struct.Struct("!IIIIIIII")
_EXPANDED = struct.Struct("!IIIIIIIIIII")
_RAW = struct.Struct("!IIII")


@dataclass
class Samples:
    """Columns of the sampled packets found in one or more datagrams."""

    header_protocol: list[int] = field(default_factory=list)
    frame_length: list[int] = field(default_factory=list)
    headers: list[bytes] = field(default_factory=list)
    sampling_rate: list[int] = field(default_factory=list)
    input_if: list[int] = field(default_factory=list)
    output_if: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.headers)


@dataclass(frozen=True)
class DatagramHeader:
    agent: bytes
    sub_agent: int
    sequence: int
    uptime_ms: int


class _Reader:
    def __init__(self, data: bytes, offset: int = 0, end: int | None = None) -> None:
        self.data, self.offset = data, offset
        self.end = len(data) if end is None else end

    def take(self, size: int) -> int:
        if self.end - self.offset < size:
            raise TruncatedError(f"sFlow item needs {size} bytes, {self.end - self.offset} left")
        start = self.offset
        self.offset += size
        return start

    def u32(self) -> int:
        return int(_U32.unpack_from(self.data, self.take(4))[0])


def parse_datagram(payload: bytes, out: Samples) -> DatagramHeader:
    """Append the datagram's sampled packets to `out`; raise before appending if bad."""
    reader = _Reader(payload)
    if reader.u32() != VERSION:
        raise UnsupportedVersionError("not an sFlow v5 datagram")
    address_type = reader.u32()
    if address_type not in (1, 2):
        raise DecodeError(f"agent address type {address_type}", reason="malformed")
    size = 4 if address_type == 1 else 16
    agent = payload[reader.take(size) : reader.offset]
    sub_agent, sequence, uptime, count = (reader.u32() for _ in range(4))
    if count > MAX_SAMPLES:
        raise DecodeError(f"{count} samples in one datagram", reason="bad_count")
    found = Samples()
    for _ in range(count):
        tag, length = reader.u32(), reader.u32()
        start = reader.take(length)
        if tag >> 12 == 0 and tag & 0xFFF in (FLOW_SAMPLE, EXPANDED_FLOW_SAMPLE):
            _flow_sample(_Reader(payload, start, start + length), tag & 0xFFF, found)
    for name in found.__dataclass_fields__:
        getattr(out, name).extend(getattr(found, name))
    return DatagramHeader(agent, sub_agent, sequence, uptime)


def _flow_sample(reader: _Reader, kind: int, out: Samples) -> None:
    if kind == FLOW_SAMPLE:
        _, _, rate, _, _, input_if, output_if, count = _FLOW.unpack_from(
            reader.data, reader.take(_FLOW.size))
        input_if, output_if = input_if & 0x3FFFFFFF, output_if & 0x3FFFFFFF
    else:
        fields = _EXPANDED.unpack_from(reader.data, reader.take(_EXPANDED.size))
        rate, input_if, output_if, count = fields[3], fields[7], fields[9], fields[10]
    if count > MAX_SAMPLES:
        raise DecodeError(f"{count} flow records in one sample", reason="bad_count")
    for _ in range(count):
        tag, length = reader.u32(), reader.u32()
        start = reader.take(length)
        if tag != RAW_HEADER:
            continue
        raw = _Reader(reader.data, start, start + length)
        protocol, frame_length, _, header_length = _RAW.unpack_from(raw.data, raw.take(_RAW.size))
        header_start = raw.take(header_length)
        out.header_protocol.append(protocol)
        out.frame_length.append(frame_length)
        out.headers.append(raw.data[header_start : header_start + header_length])
        out.sampling_rate.append(max(rate, 1))
        out.input_if.append(input_if)
        out.output_if.append(output_if)
