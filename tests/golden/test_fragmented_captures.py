"""Capture replay reassembles fragmented IPv4 and IPv6 UDP (the first fragment included)
and takes only datagrams to the flow-export ports (or from the exporters) named: checked
by value and against tshark, which reassembles the same capture."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
from collector_flows import numbered
from pcap_writer import PCAP_HEADER, frame
from test_captures_vs_tshark import ours
from tshark_oracle import flow_records

from pahna.intake.ipfix.encoder import encode_flows
from pahna.intake.replay import ReplayStats, Selection, read_capture
from pahna.schema import address_to_bytes

V6_SOURCE, V6_DEST = address_to_bytes("2001:db8::5"), address_to_bytes("2001:db8::1")


def big_message(first: int, count: int) -> bytes:
    """One IPFIX message larger than any link's MTU (encode_flows packs ~1,400 bytes)."""
    messages = list(encode_flows(numbered(first, count), template_every=10**9))
    head, sets = messages[0][:16], b"".join(m[16:] for m in messages)
    return struct.pack("!HH", 10, 16 + len(sets)) + head[4:] + sets


def ipv4_fragments(source: bytes, payload: bytes, ident: int, size: int = 1480,
                   port: int = 4739) -> list[bytes]:
    udp = struct.pack("!HHHH", 40000, port, 8 + len(payload), 0) + payload
    out = []
    for offset in range(0, len(udp), size):
        part, more = udp[offset : offset + size], offset + size < len(udp)
        flags = (0x2000 if more else 0) | offset // 8
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(part), ident, flags, 64, 17, 0,
                         source, bytes([192, 0, 2, 1]))
        out.append(b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + ip + part)
    return out


def ipv6_fragments(payload: bytes, ident: int, size: int = 1448) -> list[bytes]:
    udp = struct.pack("!HHHH", 40000, 4739, 8 + len(payload), 0) + payload
    out = []
    for offset in range(0, len(udp), size):
        part, more = udp[offset : offset + size], offset + size < len(udp)
        hop_by_hop = struct.pack("!BB6s", 44, 0, bytes(6))  # next: fragment header
        fragment = struct.pack("!BBHI", 17, 0, offset | int(more), ident)
        ip = struct.pack("!IHBB", 0x60000000, 16 + len(part), 0, 64) + V6_SOURCE + V6_DEST
        out.append(b"\x02" * 6 + b"\x04" * 6 + b"\x86\xdd" + ip + hop_by_hop + fragment + part)
    return out


def write(path: Path, frames: list[bytes]) -> Path:
    out = bytearray(PCAP_HEADER)
    for index, data in enumerate(frames):
        out += struct.pack("<IIII", 1_760_000_000 + index, 0, len(data), len(data)) + data
    path.write_bytes(bytes(out))
    return path


def test_fragmented_ipv4_and_ipv6_datagrams_are_reassembled(tmp_path: Path) -> None:
    v4, v6 = big_message(0, 120), big_message(1000, 90)
    assert len(v4) > 3000 and len(v6) > 2000
    v4_frames, v6_frames = ipv4_fragments(bytes([10, 1, 1, 1]), v4, 7), ipv6_fragments(v6, 9)
    frames = [v4_frames[1], v4_frames[0], *v6_frames, v4_frames[2], *v4_frames[3:]]
    capture = write(tmp_path / "fragments.pcap", frames)
    stats = ReplayStats()
    datagrams = list(read_capture(capture, stats))
    assert sorted(d.payload for d in datagrams) == sorted([v4, v6])
    assert stats.skipped == {}
    expected, complete = flow_records(capture)
    assert complete and len(expected) == 210
    assert sorted(ours(datagrams)) == sorted(expected)


def test_an_incomplete_datagram_and_other_udp_are_skipped_and_counted(tmp_path: Path) -> None:
    message = big_message(0, 80)
    frames = ipv4_fragments(bytes([10, 1, 1, 2]), message, 11)
    dns = frame(bytes([10, 1, 1, 3]), b"\x12\x34" + bytes(30), port=53)
    ntp = frame(bytes([10, 1, 1, 3]), bytes(48), port=123)
    whole = frame(bytes([10, 1, 1, 4]), next(encode_flows(numbered(0, 5))), port=2055)
    capture = write(tmp_path / "mixed.pcap", [frames[0], dns, ntp, whole, *frames[2:]])
    stats = ReplayStats()
    datagrams = list(read_capture(capture, stats, Selection.for_ingest([], [], [])))
    assert [d.exporter[-4:] for d in datagrams] == [bytes([10, 1, 1, 4])]
    assert stats.skipped == {"port_not_selected": 2, "fragments_incomplete": 1}
    by_exporter = list(read_capture(capture, ReplayStats(), Selection.for_ingest(
        [], [address_to_bytes("10.1.1.3")], [])))
    assert len(by_exporter) == 2  # named exporters: any port


@pytest.mark.slow
def test_ingest_takes_the_configured_listen_port_and_reports_what_it_skipped(
        pahna_cli, tmp_path: Path) -> None:
    home = tmp_path / "home"
    pahna_cli("init", "--home", str(home))
    config = home / "pahna.toml"
    config.write_text(config.read_text().replace("127.0.0.1:4739", "127.0.0.1:5000"))
    frames = [frame(bytes([10, 1, 1, 5]), m, port=5000)
              for m in encode_flows(numbered(0, 40), template_every=1)]
    frames.append(frame(bytes([10, 1, 1, 5]), bytes(48), port=123))
    capture = write(tmp_path / "site.pcap", frames)
    report = json.loads(pahna_cli("ingest", "--home", str(home), "--json",
                                  str(capture)).stdout)
    assert report["files"][0]["records"] == 40
    assert report["replay"]["skipped"] == {"port_not_selected": 1}
    text = pahna_cli("ingest", "--home", str(home), "--port", "123", str(capture)).stdout
    assert f"capture packets skipped: {len(frames) - 1} port_not_selected" in text
    assert "0 records, 1 rejected" in text  # what is sent to port 123 is no export
