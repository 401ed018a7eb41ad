"""Replay captures and raw files: pcap, pcapng and raw export datagrams.

A capture yields the UDP payloads it holds, each with its real exporter (the packet's
IP source) and its capture time. Fragmented IPv4 and IPv6 datagrams are reassembled
(see :mod:`pahna.intake.fragments`). Only datagrams the capture's selection takes are
yielded (:class:`Selection`: by default those sent to the standard flow-export ports or
to a port the workspace's collector listens on); everything else is skipped and counted
by reason: link_type, not_ip, not_udp, port_not_selected, exporter_not_selected,
fragments_incomplete. A raw datagram file is one or more export messages back to back,
from an exporter named by the caller.
"""

from __future__ import annotations

import mmap
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from pahna.errors import DecodeError, TruncatedError
from pahna.intake.base import Datagram
from pahna.intake.fragments import Reassembly, ipv4_payload, ipv6_payload

PCAP_MAGICS = {
    b"\xd4\xc3\xb2\xa1": ("<", 1_000), b"\xa1\xb2\xc3\xd4": (">", 1_000),
    b"\x4d\x3c\xb2\xa1": ("<", 1_000_000), b"\xa1\xb2\x3c\x4d": (">", 1_000_000),
}
PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"
LINK_NULL, LINK_ETHERNET, LINK_RAW, LINK_RAW2, LINK_SLL, LINK_SLL2 = 0, 1, 101, 12, 113, 276
ETH_IPV4, ETH_IPV6 = 0x0800, 0x86DD
UDP = 17


STANDARD_PORTS = frozenset({2055, 4739, 6343, 9995, 9996})
"""NetFlow (2055, 9995, 9996), IPFIX (4739) and sFlow (6343)."""


@dataclass(frozen=True)
class Selection:
    """Which datagrams of a capture are flow exports: those to `ports` (None: any) and,
    when `exporters` are named, from one of them. `pahna ingest` takes the standard
    ports and the workspace's listen ports unless told otherwise (see `for_ingest`)."""

    ports: frozenset[int] | None = None
    exporters: frozenset[bytes] | None = None

    @classmethod
    def for_ingest(cls, ports: list[int], exporters: list[bytes], listen: list[str]
                   ) -> Selection:
        """Ports named, else any port when exporters are named, else the standard ports
        and the ports of `listen` (ADDR:PORT)."""
        if ports:
            chosen: frozenset[int] | None = frozenset(ports)
        elif exporters:
            chosen = None
        else:
            chosen = STANDARD_PORTS | {int(a.rpartition(":")[2]) for a in listen
                                       if a.rpartition(":")[2].isdigit()}
        return cls(chosen, frozenset(exporters) if exporters else None)

    def reason(self, exporter: bytes, port: int) -> str | None:
        """Why a datagram is skipped, or None when it is taken."""
        if self.exporters is not None and exporter not in self.exporters:
            return "exporter_not_selected"
        if self.ports is not None and port not in self.ports:
            return "port_not_selected"
        return None


@dataclass
class ReplayStats:
    packets: int = 0
    datagrams: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


def is_capture(path: Path) -> bool:
    with path.open("rb") as handle:
        magic = handle.read(4)
    return magic in PCAP_MAGICS or magic == PCAPNG_MAGIC


def read_capture(path: Path, stats: ReplayStats | None = None,
                 selection: Selection | None = None) -> Iterator[Datagram]:
    """The selected UDP datagrams of a pcap or pcapng file, in capture order (a fragmented
    one when its last fragment arrives)."""
    stats = stats if stats is not None else ReplayStats()
    selection = selection or Selection()
    fragments = Reassembly()
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        view = cast(bytes, data)  # mapped, not read: memory stays flat for large captures
        frames = _pcapng_frames(view) if view[:4] == PCAPNG_MAGIC else _pcap_frames(view)
        for link, time_ms, frame in frames:
            stats.packets += 1
            datagram = udp_datagram(link, frame, time_ms, stats, fragments, selection)
            if datagram is not None:
                stats.datagrams += 1
                yield datagram
    for _ in range(fragments.incomplete()):
        stats.skip("fragments_incomplete")


def _pcap_frames(data: bytes) -> Iterator[tuple[int, int, bytes]]:
    if data[:4] not in PCAP_MAGICS or len(data) < 24:
        raise DecodeError("not a pcap file", reason="not_a_capture")
    order, per_second = PCAP_MAGICS[data[:4]]
    link = struct.unpack_from(f"{order}I", data, 20)[0] & 0x0FFFFFFF
    record = struct.Struct(f"{order}IIII")
    offset = 24
    while len(data) - offset >= record.size:
        secs, frac, captured, _ = record.unpack_from(data, offset)
        offset += record.size
        if len(data) - offset < captured:
            raise TruncatedError(f"pcap record of {captured} bytes cut short")
        yield link, secs * 1000 + frac * 1000 // per_second, data[offset : offset + captured]
        offset += captured


def _pcapng_frames(data: bytes) -> Iterator[tuple[int, int, bytes]]:
    order, offset = "<", 0
    links: list[tuple[int, int]] = []  # (link type, units per second) per interface
    while len(data) - offset >= 12:
        if data[offset : offset + 4] == PCAPNG_MAGIC:
            order = "<" if data[offset + 8 : offset + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            links = []
        kind, length = struct.unpack_from(f"{order}II", data, offset)
        if length < 12 or offset + length > len(data):
            raise TruncatedError(f"pcapng block of {length} bytes runs past the file")
        body = data[offset + 8 : offset + length - 4]
        if kind == 1:
            links.append((struct.unpack_from(f"{order}H", body)[0], _ng_resolution(body, order)))
        elif kind == 6 and len(body) >= 20:
            iface, high, low, captured = struct.unpack_from(f"{order}IIII", body)
            link, per_second = links[iface] if iface < len(links) else (LINK_ETHERNET, 10**6)
            time_ms = ((high << 32) | low) * 1000 // per_second
            yield link, time_ms, body[20 : 20 + captured]
        elif kind == 3 and len(body) >= 4 and links:
            yield links[0][0], 0, body[4:]
        offset += length


def _ng_resolution(body: bytes, order: str) -> int:
    offset = 8
    while len(body) - offset >= 4:
        code, length = struct.unpack_from(f"{order}HH", body, offset)
        if code == 0:
            break
        if code == 9 and length >= 1:
            value = body[offset + 4]
            return 2 ** (value & 0x7F) if value & 0x80 else 10 ** value
        offset += 4 + (length + 3) // 4 * 4
    return 10**6


def _network(link: int, frame: bytes) -> tuple[int, bytes] | None:
    """(ethertype, network-layer bytes) of a frame, or None for a link pahna cannot read."""
    if link == LINK_ETHERNET:
        offset, ethertype = 12, 0
        while len(frame) >= offset + 2:
            ethertype = int.from_bytes(frame[offset : offset + 2], "big")
            if ethertype not in (0x8100, 0x88A8, 0x9100):
                return ethertype, frame[offset + 2 :]
            offset += 4
        return None
    if link in (LINK_RAW, LINK_RAW2):
        return (ETH_IPV4 if frame[:1] and frame[0] >> 4 == 4 else ETH_IPV6), frame
    if link == LINK_SLL and len(frame) >= 16:
        return int.from_bytes(frame[14:16], "big"), frame[16:]
    if link == LINK_SLL2 and len(frame) >= 20:
        return int.from_bytes(frame[0:2], "big"), frame[20:]
    if link == LINK_NULL and len(frame) >= 4:
        family = int.from_bytes(frame[:4], "little")
        return (ETH_IPV4 if family == 2 else ETH_IPV6), frame[4:]
    return None


def udp_datagram(link: int, frame: bytes, time_ms: int, stats: ReplayStats,
                 fragments: Reassembly | None = None,
                 selection: Selection | None = None) -> Datagram | None:
    """The UDP payload of a frame with its IP source as the exporter, else None (skipped
    and counted, or a fragment kept until its datagram is whole)."""
    network = _network(link, frame)
    if network is None:
        stats.skip("link_type")
        return None
    ethertype, packet = network
    fragments = fragments if fragments is not None else Reassembly()
    if ethertype == ETH_IPV4 and len(packet) >= 20:
        ip = ipv4_payload(packet, time_ms, fragments)
    elif ethertype == ETH_IPV6 and len(packet) >= 40:
        ip = ipv6_payload(packet, time_ms, fragments)
    else:
        stats.skip("not_ip")
        return None
    if ip is None:
        return None  # a fragment, held until its datagram is whole
    proto, source, segment = ip
    if proto != UDP or len(segment) < 8:
        stats.skip("not_udp")
        return None
    port, length = struct.unpack_from("!HH", segment, 2)
    reason = (selection or Selection()).reason(source, port)
    if reason is not None:
        stats.skip(reason)
        return None
    return Datagram(source, segment[8:length], time_ms)
