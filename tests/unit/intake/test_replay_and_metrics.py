"""pcap and pcapng replay keep each datagram's exporter; metrics render per exporter."""

from __future__ import annotations

import struct
from pathlib import Path

from pahna.intake.base import IntakeCounters
from pahna.intake.metrics import CollectorView, metrics_registry, render
from pahna.intake.replay import ReplayStats, is_capture, read_capture
from pahna.schema import address_to_bytes, address_to_text


def udp_ipv6_frame(source: str, payload: bytes) -> bytes:
    udp = struct.pack("!HHHH", 5000, 2055, 8 + len(payload), 0) + payload
    ip = struct.pack("!IHBB", 0x60000000, len(udp), 17, 64) + address_to_bytes(source)
    ip += address_to_bytes("2001:db8::1")
    return b"\x02" * 6 + b"\x04" * 6 + b"\x86\xdd" + ip + udp


def pcapng(frames: list[bytes]) -> bytes:
    def block(kind: int, body: bytes) -> bytes:
        body += b"\x00" * (-len(body) % 4)
        return struct.pack("<II", kind, 12 + len(body)) + body + struct.pack("<I", 12 + len(body))

    out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    out += block(1, struct.pack("<HHI", 1, 0, 65535))
    for index, frame in enumerate(frames):
        micros = (1_700_000_000 + index) * 10**6
        out += block(6, struct.pack("<IIIII", 0, micros >> 32, micros & 0xFFFFFFFF, len(frame),
                                    len(frame)) + frame)
    return out


def test_pcapng_keeps_the_ipv6_exporter_and_time(tmp_path: Path) -> None:
    capture = tmp_path / "export.pcapng"
    capture.write_bytes(pcapng([udp_ipv6_frame("2001:db8::7", b"hello"),
                                udp_ipv6_frame("2001:db8::8", b"world"), b"\x00" * 20]))
    stats = ReplayStats()
    datagrams = list(read_capture(capture, stats))
    assert is_capture(capture)
    assert [address_to_text(d.exporter) for d in datagrams] == ["2001:db8::7", "2001:db8::8"]
    assert [d.payload for d in datagrams] == [b"hello", b"world"]
    assert datagrams[1].received_ms == 1_700_000_001_000
    assert stats.packets == 3 and stats.skipped == {"not_ip": 1}


def test_metrics_are_prometheus_text_per_exporter(tmp_path: Path) -> None:
    counters = IntakeCounters()
    one = counters.exporter(address_to_bytes("192.0.2.1"))
    one.datagrams, one.records = 3, 60
    one.errors["truncated"] += 2
    spool = tmp_path / "spool"
    spool.mkdir()
    (spool / "seg-0000000000000001.seg").write_bytes(b"x" * 700)
    (spool / "seg-0000000000000002.open").write_bytes(b"x" * 50)
    page = render(metrics_registry(CollectorView(
        lambda: counters, lambda: {"datagrams": 3, "kernel_drops": 4, "spooled_bytes": 9},
        lambda: 2, spool)))
    assert 'pahna_intake_records_total{exporter="192.0.2.1"} 60.0' in page
    assert 'pahna_intake_decode_errors_total{exporter="192.0.2.1",reason="truncated"} 2.0' in page
    assert "# TYPE pahna_intake_datagrams_total counter" in page
    assert "pahna_collector_received_total 3.0" in page
    assert "pahna_collector_kernel_drops_total 4.0" in page
    assert "pahna_collector_store_retries_total 2.0" in page
    assert "pahna_collector_spooled_bytes 9.0" in page
    assert "pahna_collector_spool_bytes 750.0" in page
    assert "pahna_collector_spool_segments 2.0" in page
    assert "process_resident_memory_bytes " in page and "process_cpu_seconds_total " in page
    assert "python_info{" in page
