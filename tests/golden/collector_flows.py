"""Numbered flows for the capture tests (each flow's number is in its ports)."""

from __future__ import annotations

import pyarrow as pa

from pahna.schema import FLOW_SCHEMA, IPV4_MAPPED_PREFIX

BASE_MS = 1_760_000_000_000


def numbered(first: int, count: int) -> pa.Table:
    rows = [{
        "exporter": IPV4_MAPPED_PREFIX + bytes(4), "observation_domain": 0,
        "src_addr": IPV4_MAPPED_PREFIX + bytes([10, 9, (n >> 8) & 255, n & 255]),
        "dst_addr": IPV4_MAPPED_PREFIX + bytes([192, 0, 2, 1]),
        "src_port": n & 0xFFFF, "dst_port": 80, "protocol": 6, "bytes": 1000 + n,
        "packets": 1 + n % 7, "start_ms": BASE_MS + n * 1000, "end_ms": BASE_MS + n * 1000 + 500,
        "sampling_rate": 1, "input_if": 1, "output_if": 2, "direction": 0, "src_as": 0,
        "dst_as": 0, "batch_id": "",
    } for n in range(first, first + count)]
    return pa.Table.from_pylist(rows, schema=FLOW_SCHEMA)
