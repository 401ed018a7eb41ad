"""Keep what could not be decoded, with its bytes and its reason, for later replay."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pahna.intake.base import Rejected
from pahna.schema import address_to_text
from pahna.store.layout import day_label
from pahna.store.writer import write_atomically


def quarantine_records(folder: Path, records: pa.Table, reason: str, message: str) -> int:
    """Keep decoded records that must not be stored (a counter past the plausibility
    bound) as records/DAY/HASH.parquet with HASH.json (reason, message, count) beside it."""
    if records.num_rows == 0:
        return 0
    sink = io.BytesIO()
    pq.write_table(records, sink, compression="zstd")
    data = sink.getvalue()
    digest = hashlib.sha256(data).hexdigest()[:32]
    first_ms = int(pc.min(records.column("start_ms")).as_py() or 0)
    day = folder / "records" / day_label(first_ms // 86_400_000)
    write_atomically(day / f"{digest}.parquet", data)
    meta = {"reason": reason, "message": message, "records": records.num_rows,
            "exporters": sorted({address_to_text(e) for e in
                                 records.column("exporter").to_pylist()})}
    write_atomically(day / f"{digest}.json", json.dumps(meta, indent=1).encode())
    return records.num_rows


def quarantine(folder: Path, rejected: list[Rejected]) -> int:
    """Write each rejected datagram as DAY/HASH.bin with HASH.json beside it."""
    for item in rejected:
        payload = item.datagram.payload
        digest = hashlib.sha256(item.datagram.exporter + payload).hexdigest()[:32]
        day = folder / day_label(item.datagram.received_ms // 86_400_000)
        write_atomically(day / f"{digest}.bin", payload)
        meta = {
            "exporter": address_to_text(item.datagram.exporter),
            "received_ms": item.datagram.received_ms,
            "reason": item.error.reason,
            "message": str(item.error),
            "bytes": len(payload),
        }
        write_atomically(day / f"{digest}.json", json.dumps(meta, indent=1).encode())
    return len(rejected)
