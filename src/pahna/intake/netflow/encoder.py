"""Encode flow tables as NetFlow v5 and v9 packets: the exporter side, for tests and
benchmarks. Records are laid out with NumPy structured arrays, as the decoders read them.

Times are sent as the exporters do, relative to the sender's sysUptime: the header says
the export time (whole seconds) and the uptime at that moment, so every record must
start within `uptime_ms` before the export time.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from pahna.intake import elements as ie
from pahna.intake.ipfix.encoder import is_ipv4
from pahna.intake.netflow import v5, v9

V9_IPV4_TEMPLATE, V9_IPV6_TEMPLATE = 256, 257
_V9_COMMON = [
    (ie.SRC_PORT, 2, "src_port"), (ie.DST_PORT, 2, "dst_port"), (ie.PROTOCOL, 1, "protocol"),
    (ie.OCTET_DELTA, 8, "bytes"), (ie.PACKET_DELTA, 8, "packets"),
    (ie.START_SYSUPTIME, 4, "first"), (ie.END_SYSUPTIME, 4, "last"),
    (ie.INPUT_IF, 4, "input_if"), (ie.OUTPUT_IF, 4, "output_if"),
    (ie.DIRECTION, 1, "direction"), (ie.SRC_AS, 4, "src_as"), (ie.DST_AS, 4, "dst_as"),
    (ie.SAMPLING_INTERVAL, 4, "sampling_rate"),
]
V9_LAYOUTS = {
    V9_IPV4_TEMPLATE: [(ie.SRC_V4, 4, "src_addr"), (ie.DST_V4, 4, "dst_addr"), *_V9_COMMON],
    V9_IPV6_TEMPLATE: [(ie.SRC_V6, 16, "src_addr"), (ie.DST_V6, 16, "dst_addr"), *_V9_COMMON],
}


def _addresses(flows: pa.Table, name: str, width: int) -> np.ndarray:
    column = flows.column(name).combine_chunks()
    raw = np.frombuffer(column.buffers()[1], dtype=np.uint8)
    raw = raw[column.offset * 16 : (column.offset + len(column)) * 16].reshape(-1, 16)
    return raw[:, 16 - width :]


def _uptime_offsets(flows: pa.Table, export_ms: int, uptime_ms: int) -> dict[str, np.ndarray]:
    start = flows.column("start_ms").to_numpy()
    end = flows.column("end_ms").to_numpy()
    return {"first": (uptime_ms - (export_ms - start)) % 2**32,
            "last": (uptime_ms - (export_ms - end)) % 2**32}


def encode_v5(flows: pa.Table, export_ms: int, uptime_ms: int, sampling: int = 0,
              engine: int = 0, first_sequence: int = 0) -> Iterator[bytes]:
    """NetFlow v5 packets of up to 30 records (IPv4 rows only; others are skipped)."""
    flows = flows.filter(pa.array(is_ipv4(flows, "src_addr") & is_ipv4(flows, "dst_addr")))
    records = np.zeros(flows.num_rows, dtype=v5.RECORD)
    records["src"] = _addresses(flows, "src_addr", 4)
    records["dst"] = _addresses(flows, "dst_addr", 4)
    for name, column in (("input", "input_if"), ("output", "output_if"),
                         ("packets", "packets"), ("bytes", "bytes"), ("src_port", "src_port"),
                         ("dst_port", "dst_port"), ("protocol", "protocol"),
                         ("src_as", "src_as"), ("dst_as", "dst_as")):
        records[name] = flows.column(column).to_numpy()
    for name, values in _uptime_offsets(flows, export_ms, uptime_ms).items():
        records[name] = values
    sequence = first_sequence
    for start in range(0, len(records), v5.MAX_RECORDS):
        chunk = records[start : start + v5.MAX_RECORDS]
        header = v5.HEADER.pack(5, len(chunk), uptime_ms, export_ms // 1000,
                                export_ms % 1000 * 1_000_000, sequence, engine >> 8,
                                engine & 0xFF, sampling & 0x3FFF)
        yield header + chunk.tobytes()
        sequence = (sequence + len(chunk)) % 2**32


def v9_template_flowset() -> bytes:
    body = b""
    for template_id, layout in V9_LAYOUTS.items():
        body += struct.pack("!HH", template_id, len(layout))
        body += b"".join(struct.pack("!HH", element, length) for element, length, _ in layout)
    return v9.FLOWSET_HEADER.pack(0, 4 + len(body)) + body


def _v9_records(flows: pa.Table, template_id: int, export_ms: int,
                uptime_ms: int) -> np.ndarray:
    layout = V9_LAYOUTS[template_id]
    width = 4 if template_id == V9_IPV4_TEMPLATE else 16
    dtype = np.dtype({"names": [n for _, _, n in layout],
                      "formats": [("u1", (width,)) if n.endswith("_addr") else f">u{length}"
                                  for _, length, n in layout]})
    out = np.zeros(flows.num_rows, dtype=dtype)
    offsets = _uptime_offsets(flows, export_ms, uptime_ms)
    for _, _, name in layout:
        if name.endswith("_addr"):
            out[name] = _addresses(flows, name, width)
        else:
            out[name] = offsets[name] if name in offsets else flows.column(name).to_numpy()
    return out


def encode_v9(flows: pa.Table, export_ms: int, uptime_ms: int, source_id: int = 0,
              first_sequence: int = 0, per_packet: int = 20) -> Iterator[bytes]:
    """NetFlow v9 packets, the template flowset in the first; export_ms whole seconds."""
    if export_ms % 1000:
        raise ValueError("NetFlow v9 export times are whole seconds")
    v4 = is_ipv4(flows, "src_addr") & is_ipv4(flows, "dst_addr")
    sequence, sent = first_sequence, 0
    for template_id, mask in ((V9_IPV4_TEMPLATE, v4), (V9_IPV6_TEMPLATE, ~v4)):
        records = _v9_records(flows.filter(pa.array(mask)), template_id, export_ms, uptime_ms)
        for start in range(0, len(records), per_packet):
            chunk = records[start : start + per_packet]
            sets = v9_template_flowset() if sent == 0 else b""
            data = chunk.tobytes()
            sets += v9.FLOWSET_HEADER.pack(template_id, 4 + len(data)) + data
            count = len(chunk) + (2 if sent == 0 else 0)
            yield v9.HEADER.pack(9, count, uptime_ms, export_ms // 1000, sequence,
                                 source_id) + sets
            sequence, sent = (sequence + 1) % 2**32, sent + 1
