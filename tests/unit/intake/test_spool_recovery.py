"""A segment a killed process left open is cut back to its last whole record, counted
(spool_torn_bytes), sealed and flushed like the others; the flusher names the segments
it hands on, and deletes them only after the sink returned."""

from __future__ import annotations

import struct
import threading
import time
from pathlib import Path

from pahna.intake.base import Datagram
from pahna.intake.collector import UdpCollector
from pahna.intake.sockets import ListenAddress

EXPORTER = bytes(10) + b"\xff\xff" + bytes([192, 0, 2, 7])


def record(payload: bytes, received_ns: int) -> bytes:
    return struct.pack("<IIQ16s", 0x50534731, len(payload), received_ns, EXPORTER) + payload


def test_a_torn_open_segment_is_cut_counted_and_stored(tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    whole = record(b"first", 1_000_000_000) + record(b"second", 2_000_000_000)
    torn = record(b"third, cut short", 3_000_000_000)[:27]
    (spool / "seg-0000000000000004.open").write_bytes(whole + torn)
    (spool / "seg-0000000000000003.seg").write_bytes(record(b"zeroth", 500_000_000))
    got: list[tuple[list[Datagram], tuple[str, ...]]] = []
    on_disk: list[list[str]] = []

    def sink(datagrams: list[Datagram], segments: tuple[str, ...]) -> None:
        on_disk.append(sorted(p.name for p in spool.iterdir()))
        got.append((datagrams, segments))

    collector = UdpCollector([ListenAddress("127.0.0.1", 0)], sink, spool, 0.2)
    runner = threading.Thread(target=collector.run)
    runner.start()
    time.sleep(0.6)
    collector.stop.set()
    runner.join()
    payloads = [d.payload for batch, _ in got for d in batch]
    assert payloads == [b"zeroth", b"first", b"second"]
    assert got[0][1] == ("seg-0000000000000003.seg", "seg-0000000000000004.seg")
    assert "seg-0000000000000004.seg" in on_disk[0]  # still there while the sink runs
    assert collector.counters()["spool_torn_bytes"] == 27
    assert [d.received_ms for batch, _ in got for d in batch] == [500, 1000, 2000]
    assert not list(spool.glob("seg-*.seg"))
