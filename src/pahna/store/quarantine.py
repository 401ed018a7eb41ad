"""Keep what could not be decoded, with its bytes and its reason, for later replay."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pahna.intake.base import Rejected
from pahna.schema import address_to_text
from pahna.store.layout import day_label
from pahna.store.writer import write_atomically


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
