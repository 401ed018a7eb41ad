"""The spool's record framing (the contract shared by the receive path, the flusher, the
quarantine and `pahna ingest`): each record is a 32-byte little-endian header (u32 magic
"PSG1", u32 payload length, u64 received ns since the epoch, the exporter's 16-byte
address) and the payload. The receive path writes it (`pahna.intake.receiver`, where the
header is defined); quarantine files use it too, so they can be ingested again with
their exporters and receive times."""

from __future__ import annotations

from pathlib import Path

from pahna.intake.base import Datagram
from pahna.intake.receiver import MAGIC, RECORD_HEADER

FILE_MAGIC = RECORD_HEADER.pack(MAGIC, 0, 0, bytes(16))[:4]


def encode_records(datagrams: list[Datagram]) -> bytes:
    """Datagrams in the spool's framing, back to back."""
    return b"".join(RECORD_HEADER.pack(MAGIC, len(d.payload), d.received_ms * 1_000_000,
                                       d.exporter) + d.payload for d in datagrams)


def decode_records(data: bytes) -> tuple[list[Datagram], int]:
    """The whole records at the start of `data`, and the bytes they take (a torn tail is
    what follows)."""
    out, offset, size = [], 0, RECORD_HEADER.size
    unpack = RECORD_HEADER.unpack_from
    while offset + size <= len(data):
        magic, length, received_ns, exporter = unpack(data, offset)
        if magic != MAGIC or offset + size + length > len(data):
            break
        out.append(Datagram(exporter, data[offset + size : offset + size + length],
                            received_ns // 1_000_000))
        offset += size + length
    return out, offset


def is_spool_file(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == FILE_MAGIC
