"""Keep what could not be decoded, with its bytes and its reason, for later replay.

    quarantine/YYYY-MM-DD/NAME.psg     the batch's rejected datagrams (or held data sets),
                                       in the spool's framing (exporter, receive time,
                                       bytes): `pahna ingest` takes the file back as it is
    quarantine/YYYY-MM-DD/NAME.jsonl   one line per record, in the same order: exporter,
                                       received_ms, reason, message, bytes

One pair of files per batch and UTC receive day, named by their content (writing the
same rejections again changes nothing), each written atomically and fsynced once.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pahna.intake.base import Rejected
from pahna.intake.spool import encode_records
from pahna.schema import address_to_text
from pahna.store.durable import write_atomically
from pahna.store.layout import DAY_MS, day_label


def quarantine(folder: Path, rejected: list[Rejected]) -> int:
    """Write the rejected datagrams of a batch; returns how many."""
    by_day: dict[int, list[Rejected]] = {}
    for item in rejected:
        by_day.setdefault(item.datagram.received_ms // DAY_MS, []).append(item)
    for day, items in sorted(by_day.items()):
        records = encode_records([item.datagram for item in items])
        lines = "".join(json.dumps({
            "exporter": address_to_text(item.datagram.exporter),
            "received_ms": item.datagram.received_ms,
            "reason": item.error.reason,
            "message": str(item.error),
            "bytes": len(item.datagram.payload),
        }) + "\n" for item in items).encode()
        name = hashlib.sha256(records + lines).hexdigest()[:32]
        write_atomically(folder / day_label(day) / f"{name}.psg", records)
        write_atomically(folder / day_label(day) / f"{name}.jsonl", lines)
    return len(rejected)


def quarantined(folder: Path) -> list[dict[str, object]]:
    """Every quarantined record's line, oldest day first."""
    return [json.loads(line) for path in sorted(folder.rglob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines() if line]
