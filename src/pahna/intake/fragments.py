"""IP layer of captured packets: the transport payload of IPv4 and IPv6 packets, with
fragmented datagrams reassembled (RFC 791 for IPv4, RFC 8200 §4.5 for IPv6).

Fragments are kept by (source, destination, identification, protocol) until every byte
from offset 0 to the end of the last fragment (the one without "more fragments") is
there; then the whole payload is returned, the first fragment's transport header
included. Fragments overlapping what is already held are taken as they come (the
later bytes win; RFC 5722 asks receivers to drop such IPv6 datagrams, a capture replay
keeps what the exporter sent). A datagram still incomplete when `MAX_AGE_MS` of capture
time have passed, or when more than `MAX_PENDING` are waiting, is dropped and counted
(`fragments_incomplete`), as is whatever is still incomplete at the end of a capture.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from pahna.schema import IPV4_MAPPED_PREFIX

MAX_PENDING = 4096
MAX_AGE_MS = 30_000
IPV6_EXTENSIONS = (0, 43, 60)  # hop-by-hop, routing, destination options
IPV6_FRAGMENT = 44

Key = tuple[bytes, bytes, int, int]
IpPayload = tuple[int, bytes, bytes]
"""(transport protocol, 16-byte source address, transport bytes)."""


@dataclass
class _Pending:
    first_ms: int
    protocol: int
    parts: dict[int, bytes] = field(default_factory=dict)
    total: int | None = None  # length of the whole payload, once the last fragment came

    def whole(self) -> bytes | None:
        if self.total is None:
            return None
        out, at = bytearray(self.total), 0
        covered = 0
        for offset, part in sorted(self.parts.items()):
            if offset > at:
                return None
            out[offset : offset + len(part)] = part
            at = max(at, offset + len(part))
            covered = at
        return bytes(out[: self.total]) if covered >= self.total else None


class Reassembly:
    """The fragments of a capture's datagrams, until each is whole."""

    def __init__(self) -> None:
        self.pending: dict[Key, _Pending] = {}
        self.dropped = 0

    def add(self, key: Key, protocol: int, offset: int, more: bool, data: bytes,
            time_ms: int) -> bytes | None:
        """Take a fragment; the whole payload when it completes its datagram."""
        self._expire(time_ms)
        item = self.pending.setdefault(key, _Pending(time_ms, protocol))
        item.parts[offset] = data
        if not more:
            item.total = offset + len(data)
        whole = item.whole()
        if whole is not None:
            del self.pending[key]
        return whole

    def incomplete(self) -> int:
        """Datagrams dropped incomplete, those still waiting included (end of capture)."""
        return self.dropped + len(self.pending)

    def _expire(self, now_ms: int) -> None:
        old = [k for k, v in self.pending.items() if now_ms - v.first_ms > MAX_AGE_MS]
        for key in old:
            del self.pending[key]
        while len(self.pending) >= MAX_PENDING:
            del self.pending[next(iter(self.pending))]
            self.dropped += 1
        self.dropped += len(old)


def ipv4_payload(packet: bytes, time_ms: int, fragments: Reassembly) -> IpPayload | None:
    """(protocol, source, payload) of an IPv4 packet; None while its datagram is partial."""
    header = (packet[0] & 0x0F) * 4
    total, ident, flags = struct.unpack_from("!HHH", packet, 2)
    proto, source = packet[9], IPV4_MAPPED_PREFIX + packet[12:16]
    data = packet[header:total]
    more, offset = bool(flags & 0x2000), (flags & 0x1FFF) * 8
    if not more and offset == 0:
        return proto, source, data
    key = (packet[12:16], packet[16:20], ident, proto)
    whole = fragments.add(key, proto, offset, more, data, time_ms)
    return None if whole is None else (proto, source, whole)


def ipv6_payload(packet: bytes, time_ms: int, fragments: Reassembly) -> IpPayload | None:
    """(protocol, source, payload) of an IPv6 packet after its extension headers; None
    while its datagram is partial."""
    source, end = packet[8:24], 40 + struct.unpack_from("!H", packet, 4)[0]
    proto, at = packet[6], 40
    while proto in IPV6_EXTENSIONS and len(packet) >= at + 8:
        proto, at = packet[at], at + (packet[at + 1] + 1) * 8
    if proto != IPV6_FRAGMENT or len(packet) < at + 8:
        return proto, source, packet[at:end]
    proto, _, field_, ident = struct.unpack_from("!BBHI", packet, at)
    offset, more = field_ & 0xFFF8, bool(field_ & 1)
    key = (source, packet[24:40], ident, proto)
    whole = fragments.add(key, proto, offset, more, packet[at + 8 : end], time_ms)
    return None if whole is None else (proto, source, whole)
