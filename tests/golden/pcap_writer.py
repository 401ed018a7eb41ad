"""Write raw export payloads into a pcap (Ethernet/IPv4/UDP), so tshark can decode them."""

from __future__ import annotations

import struct
from pathlib import Path

PCAP_HEADER = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)


def _ipv4_checksum(header: bytes) -> int:
    total = sum(struct.unpack(f"!{len(header) // 2}H", header))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def frame(source: bytes, payload: bytes, port: int = 2055) -> bytes:
    """An Ethernet frame carrying `payload` over UDP from IPv4 `source` to 192.0.2.1."""
    udp = struct.pack("!HHHH", 40000, port, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, source,
                     bytes([192, 0, 2, 1]))
    ip = ip[:10] + struct.pack("!H", _ipv4_checksum(ip)) + ip[12:]
    return b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + ip + udp


def write_pcap(path: Path, packets: list[tuple[bytes, bytes]], port: int = 2055,
               times_us: list[int] | None = None) -> Path:
    """packets: (4-byte IPv4 source, UDP payload), one capture second apart unless their
    capture times (epoch microseconds) are given."""
    out = bytearray(PCAP_HEADER)
    for index, (source, payload) in enumerate(packets):
        data = frame(source, payload, port)
        when = times_us[index] if times_us else (1_600_000_000 + index) * 1_000_000
        out += struct.pack("<IIII", when // 1_000_000, when % 1_000_000, len(data),
                           len(data)) + data
    path.write_bytes(bytes(out))
    return path
