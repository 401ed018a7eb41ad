"""Build small flow tables for tests, row by row, with readable addresses."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from pahna.schema import FLOW_SCHEMA, address_to_bytes


@dataclass(frozen=True)
class Flow:
    src: str
    dst: str
    bytes: int
    start_ms: int
    end_ms: int | None = None
    packets: int = 1
    sampling_rate: int = 1
    src_port: int = 443
    dst_port: int = 50000
    protocol: int = 6


def flow_table(flows: list[Flow], exporter: str = "127.0.0.1", batch_id: str = "test"
               ) -> pa.Table:
    rows = {name: [] for name in FLOW_SCHEMA.names}  # type: ignore[var-annotated]
    for f in flows:
        values = {
            "exporter": address_to_bytes(exporter), "observation_domain": 1,
            "src_addr": address_to_bytes(f.src), "dst_addr": address_to_bytes(f.dst),
            "src_port": f.src_port, "dst_port": f.dst_port, "protocol": f.protocol,
            "bytes": f.bytes, "packets": f.packets, "start_ms": f.start_ms,
            "end_ms": f.end_ms if f.end_ms is not None else f.start_ms,
            "sampling_rate": f.sampling_rate, "input_if": 1, "output_if": 2, "direction": 1,
            "src_as": 0, "dst_as": 0, "batch_id": batch_id,
        }
        for name, value in values.items():
            rows[name].append(value)
    return pa.table({k: pa.array(v, FLOW_SCHEMA.field(k).type) for k, v in rows.items()},
                    schema=FLOW_SCHEMA)
