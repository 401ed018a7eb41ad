"""Encode flow tables as IPFIX messages: the exporter side, for the demo and for tests.

Templates 256 (IPv4) and 257 (IPv6) carry every column of the flow schema that IPFIX
has an element for. Records are laid out with one NumPy structured array per family, so
encoding a million flows is a handful of vectorized copies.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from pahna.intake import elements as ie
from pahna.intake.ipfix.decoder import HEADER, SET_HEADER, VERSION
from pahna.schema import IPV4_MAPPED_PREFIX

IPV4_TEMPLATE_ID = 256
IPV6_TEMPLATE_ID = 257
MAX_MESSAGE_BYTES = 1400

_COMMON = [
    (ie.START_MS, 8, "start_ms"), (ie.END_MS, 8, "end_ms"),
    (ie.SRC_PORT, 2, "src_port"), (ie.DST_PORT, 2, "dst_port"), (ie.PROTOCOL, 1, "protocol"),
    (ie.OCTET_DELTA, 8, "bytes"), (ie.PACKET_DELTA, 8, "packets"),
    (ie.INPUT_IF, 4, "input_if"), (ie.OUTPUT_IF, 4, "output_if"),
    (ie.DIRECTION, 1, "direction"), (ie.SRC_AS, 4, "src_as"), (ie.DST_AS, 4, "dst_as"),
    (ie.SAMPLING_INTERVAL, 4, "sampling_rate"),
]
LAYOUTS = {
    IPV4_TEMPLATE_ID: [(ie.SRC_V4, 4, "src_addr"), (ie.DST_V4, 4, "dst_addr"), *_COMMON],
    IPV6_TEMPLATE_ID: [(ie.SRC_V6, 16, "src_addr"), (ie.DST_V6, 16, "dst_addr"), *_COMMON],
}


def template_set(template_ids: tuple[int, ...] = (IPV4_TEMPLATE_ID, IPV6_TEMPLATE_ID)) -> bytes:
    """A template set (set id 2) defining the given layouts."""
    body = b""
    for template_id in template_ids:
        layout = LAYOUTS[template_id]
        body += struct.pack("!HH", template_id, len(layout))
        body += b"".join(struct.pack("!HH", element, length) for element, length, _ in layout)
    return SET_HEADER.pack(2, SET_HEADER.size + len(body)) + body


def _records(flows: pa.Table, template_id: int) -> np.ndarray:
    layout = LAYOUTS[template_id]
    width = 4 if template_id == IPV4_TEMPLATE_ID else 16
    dtype = np.dtype({
        "names": [name for _, _, name in layout],
        "formats": [f"V{width}" if name.endswith("_addr") else f">u{length}"
                    for _, length, name in layout],
    })
    out = np.zeros(flows.num_rows, dtype=dtype)
    for _, _, name in layout:
        column = flows.column(name).combine_chunks()
        if name.endswith("_addr"):
            raw = np.frombuffer(column.buffers()[1], dtype=np.uint8)
            raw = raw[column.offset * 16 : (column.offset + len(column)) * 16].reshape(-1, 16)
            out[name] = raw[:, 16 - width :].copy().view(f"V{width}").ravel()
        else:
            out[name] = column.to_numpy(zero_copy_only=False)
    return out


def is_ipv4(flows: pa.Table, column: str = "src_addr") -> np.ndarray:
    """Boolean mask of rows whose address in `column` is IPv4-mapped."""
    data = flows.column(column).combine_chunks()
    raw = np.frombuffer(data.buffers()[1], dtype=np.uint8)
    raw = raw[data.offset * 16 : (data.offset + len(data)) * 16].reshape(-1, 16)
    prefix = np.frombuffer(IPV4_MAPPED_PREFIX, dtype=np.uint8)
    return np.all(raw[:, :12] == prefix, axis=1)


def encode_flows(flows: pa.Table, domain: int = 1, first_sequence: int = 0,
                 template_every: int = 20) -> Iterator[bytes]:
    """Yield IPFIX messages (each under 1,400 bytes) carrying every row of `flows`.

    The export time of a message is the end time of its last record; templates are sent
    in the first message and again every `template_every` messages, as exporters do.
    """
    v4 = is_ipv4(flows, "src_addr") & is_ipv4(flows, "dst_addr")
    sequence, sent = first_sequence, 0
    for template_id, mask in ((IPV4_TEMPLATE_ID, v4), (IPV6_TEMPLATE_ID, ~v4)):
        records = _records(flows.filter(pa.array(mask)), template_id)
        if not len(records):
            continue
        per_message = (MAX_MESSAGE_BYTES - HEADER.size - 2 * SET_HEADER.size - 200) // (
            records.dtype.itemsize)
        for start in range(0, len(records), per_message):
            chunk = records[start : start + per_message]
            sets = template_set() if sent % template_every == 0 else b""
            data = chunk.tobytes()
            sets += SET_HEADER.pack(template_id, SET_HEADER.size + len(data)) + data
            export_s = int(chunk["end_ms"].max()) // 1000
            yield HEADER.pack(VERSION, HEADER.size + len(sets), export_s, sequence, domain) + sets
            sequence = (sequence + len(chunk)) % 2**32
            sent += 1
