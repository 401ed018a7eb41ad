"""What identifies an export message, whatever batch or file it arrives in.

A message is identified by its exporter's address, its stream (observation domain, v9
source id, v5 engine type/id, sFlow sub-agent), its sequence number and a digest of its
bytes; the store keeps the identities of what it committed (see
:mod:`pahna.store.exports`) and drops a message it already holds. The identity is a
16-byte key: the stream and sequence (8 bytes), then the first 8 bytes of the BLAKE2b
digest of the exporter's address and the message. An identity is filed under the UTC day
the message was received (captured, for a capture); it is looked up there and, within
`DAY_EDGE_MS` of midnight, in the neighbouring day too, so that a message received just
before midnight and captured just after is still known. Export times are not used for
filing: they are the exporter's to state, and a hostile one could spread the index over
thousands of days.

A data set held for its template is identified by its message's key with the set's
place in the message mixed into the digest.
"""

from __future__ import annotations

import hashlib
import struct

from pahna.intake.base import Datagram

DAY_MS = 86_400_000
DAY_EDGE_MS = 600_000
_SFLOW = b"\x00\x00\x00\x05"


def stream_and_sequence(payload: bytes) -> tuple[int, int]:
    """(stream id, sequence number) read from the header; zeros when it cannot say."""
    version = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else -1
    try:
        if version == 10:
            sequence, domain = struct.unpack_from("!II", payload, 8)
            return domain, sequence
        if version == 9:
            sequence, source = struct.unpack_from("!II", payload, 12)
            return source, sequence
        if version == 5:
            sequence, etype, eid = struct.unpack_from("!IBB", payload, 16)
            return etype << 8 | eid, sequence
        if payload[:4] == _SFLOW:
            size = 4 if payload[4:8] == b"\x00\x00\x00\x01" else 16
            sub_agent, sequence = struct.unpack_from("!II", payload, 8 + size)
            return sub_agent, sequence
    except struct.error:
        pass
    return 0, 0


def message_identity(datagram: Datagram, part: int = -1) -> tuple[bytes, int]:
    """(16-byte identity, UTC day number it is filed under) of a datagram, or of the
    `part`-th data set of it."""
    stream, sequence = stream_and_sequence(datagram.payload)
    digest = hashlib.blake2b(datagram.exporter + datagram.payload, digest_size=8)
    if part >= 0:
        digest.update(part.to_bytes(4, "big"))
    return struct.pack("!II", stream, sequence) + digest.digest(), datagram.received_ms // DAY_MS
