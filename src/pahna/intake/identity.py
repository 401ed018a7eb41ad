"""What identifies an export message, whatever batch or file it arrives in.

A message is identified by its exporter's address, its stream (observation domain, v9
source id, v5 engine type/id, sFlow sub-agent), its sequence number and a digest of its
bytes; the store keeps the identities of what it committed (see
:mod:`pahna.store.exports`) and drops a message it already holds. The identity is a
16-byte key: the stream and sequence (8 bytes), then the first 8 bytes of the BLAKE2b
digest of the exporter's address and the message. The day an identity is filed under
is the UTC day of the message's export time (sFlow has none: its receive time).

A data set held for its template is identified by its message's key with the set's
place in the message mixed into the digest.
"""

from __future__ import annotations

import hashlib
import struct

from pahna.intake.base import Datagram

DAY_MS = 86_400_000
_SFLOW = b"\x00\x00\x00\x05"


def stream_and_sequence(payload: bytes) -> tuple[int, int, int | None]:
    """(stream id, sequence number, export time in ms or None) read from the header; zeros
    when the header is too short to say."""
    version = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else -1
    try:
        if version == 10:
            export_s, sequence, domain = struct.unpack_from("!III", payload, 4)
            return domain, sequence, export_s * 1000
        if version == 9:
            export_s, sequence, source = struct.unpack_from("!III", payload, 8)
            return source, sequence, export_s * 1000
        if version == 5:
            export_s, _, sequence, etype, eid = struct.unpack_from("!IIIBB", payload, 8)
            return etype << 8 | eid, sequence, export_s * 1000
        if payload[:4] == _SFLOW:
            size = 4 if payload[4:8] == b"\x00\x00\x00\x01" else 16
            sub_agent, sequence = struct.unpack_from("!II", payload, 8 + size)
            return sub_agent, sequence, None
    except struct.error:
        pass
    return 0, 0, None


def message_identity(datagram: Datagram, part: int = -1) -> tuple[bytes, int]:
    """(16-byte identity, UTC day number it is filed under) of a datagram, or of the
    `part`-th data set of it."""
    stream, sequence, export_ms = stream_and_sequence(datagram.payload)
    digest = hashlib.blake2b(datagram.exporter, digest_size=8)
    digest.update(datagram.payload)
    if part >= 0:
        digest.update(part.to_bytes(4, "big"))
    when = datagram.received_ms if export_ms is None else export_ms
    return struct.pack("!II", stream, sequence) + digest.digest(), when // DAY_MS
