"""The receive path writes spool segments as the contract says, compiled or in Python.

The segments are read back here with `struct`, from the contract's words (32-byte
header: u32 magic "PSG1", u32 payload length, u64 received ns, 16-byte exporter address,
little-endian), not with pahna's reader.
"""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pahna.intake import receiver as receiver_module
from pahna.intake.receiver import SpoolBounds, open_receiver
from pahna.intake.sockets import (
    KernelView,
    ListenAddress,
    granted_buffer,
    kernel_drops,
    kernel_view,
    open_socket,
    refuse_new,
)

V4_LOOPBACK = bytes(10) + b"\xff\xff" + bytes([127, 0, 0, 1])
V6_LOOPBACK = bytes(15) + b"\x01"


@pytest.fixture(params=["compiled", "python"])
def kind(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("PAHNA_RECEIVER", "" if request.param == "compiled" else "python")
    return str(request.param)


def read_contract(folder: Path) -> Iterator[tuple[str, int, int, bytes, bytes]]:
    """(segment name, offset, received ns, exporter, payload) of every record."""
    for path in sorted(folder.iterdir()):
        data = path.read_bytes()
        offset = 0
        while offset < len(data):
            magic, length, received_ns = struct.unpack_from("<IIQ", data, offset)
            assert magic == 0x50534731, (path.name, offset)
            exporter = data[offset + 16 : offset + 32]
            payload = data[offset + 32 : offset + 32 + length]
            assert len(payload) == length, "a record runs past its segment"
            yield path.name, offset, received_ns, exporter, payload
            offset += 32 + length


def payload(number: int) -> bytes:
    return number.to_bytes(4, "big") * (1 + number % 350)


def send_all(port: int, numbers: range, family: int = socket.AF_INET) -> None:
    host = "127.0.0.1" if family == socket.AF_INET else "::1"
    with socket.socket(family, socket.SOCK_DGRAM) as sender:
        for number in numbers:
            sender.sendto(payload(number), (host, port))


def wait_for(receiver: receiver_module.Receiver, count: int) -> None:
    deadline = time.monotonic() + 20
    while receiver.counters()["datagrams"] < count and time.monotonic() < deadline:
        time.sleep(0.01)


def test_the_compiled_receiver_is_built() -> None:
    """The extension is built at install (gcc and the Python headers are on every machine
    ./run sets up); the Python loop is a fallback, not what runs."""
    from pahna.intake import _receiver

    assert _receiver.HEADER_BYTES == 32 and _receiver.MAGIC == 0x50534731


def test_segments_hold_every_datagram_in_order_with_its_exporter(kind: str, tmp_path: Path,
                                                                 ) -> None:
    v4 = open_socket(ListenAddress("127.0.0.1", 0), 8 << 20)
    v6 = open_socket(ListenAddress("::1", 0), 8 << 20)
    spool = tmp_path / "spool"
    spool.mkdir()
    (spool / "seg-0000000000000041.seg").write_bytes(b"")  # left by an earlier run
    receiver = open_receiver([v4, v6], spool, SpoolBounds(segment_bytes=100_000))
    before = time.time_ns()
    receiver.start()
    send_all(v4.getsockname()[1], range(0, 600))
    wait_for(receiver, 600)
    send_all(v6.getsockname()[1], range(600, 700), socket.AF_INET6)
    wait_for(receiver, 700)
    receiver.stop()
    after = time.time_ns()
    records = [r for r in read_contract(spool) if r[0] != "seg-0000000000000041.seg"]
    assert [r[4] for r in records] == [payload(n) for n in range(700)]
    assert {r[3] for r in records[:600]} == {V4_LOOPBACK}
    assert {r[3] for r in records[600:]} == {V6_LOOPBACK}
    assert all(before <= r[2] <= after for r in records)
    names = sorted({r[0] for r in records})
    assert names[0] == "seg-0000000000000042.seg" and all(n.endswith(".seg") for n in names)
    assert len(names) > 3, "the size bound cuts segments"
    for name in names:  # cut at the first record past the bound
        assert (spool / name).stat().st_size < 100_000 + 32 + 1400
    counters = receiver.counters()
    assert counters["datagrams"] == 700
    assert counters["payload_bytes"] == sum(len(payload(n)) for n in range(700))
    assert counters["spooled_bytes"] == sum(p.stat().st_size for p in spool.iterdir())
    assert counters["spool_full_datagrams"] == counters["write_failed_datagrams"] == 0
    v4.close()
    v6.close()


def test_a_segment_is_sealed_when_old_enough(kind: str, tmp_path: Path) -> None:
    sock = open_socket(ListenAddress("127.0.0.1", 0), 1 << 20)
    receiver = open_receiver([sock], tmp_path, SpoolBounds(segment_age_s=0.2))
    receiver.start()
    send_all(sock.getsockname()[1], range(3))
    deadline = time.monotonic() + 10
    while not list(tmp_path.glob("*.seg")) and time.monotonic() < deadline:
        time.sleep(0.02)
    sealed = list(tmp_path.glob("*.seg"))
    receiver.stop()
    sock.close()
    assert len(sealed) == 1 and not list(tmp_path.glob("*.open"))
    assert [r[4] for r in read_contract(tmp_path)] == [payload(n) for n in range(3)]


def test_a_full_spool_drops_and_counts_never_silently(kind: str, tmp_path: Path) -> None:
    sock = open_socket(ListenAddress("127.0.0.1", 0), 8 << 20)
    limit = 50_000
    receiver = open_receiver([sock], tmp_path, SpoolBounds(limit_bytes=limit))
    receiver.start()
    send_all(sock.getsockname()[1], range(300))
    wait_for(receiver, 300)
    receiver.stop()
    sock.close()
    counters = receiver.counters()
    kept = [r[4] for r in read_contract(tmp_path)]
    assert sum(p.stat().st_size for p in tmp_path.iterdir()) <= limit
    assert counters["datagrams"] == 300
    assert counters["spool_full_datagrams"] == 300 - len(kept) > 0
    assert counters["spool_full_bytes"] == sum(len(payload(n)) for n in range(300)) - sum(
        map(len, kept))
    sent = iter(payload(n) for n in range(300))
    assert all(any(k == s for s in sent) for k in kept), "kept in order, nothing invented"


def test_the_kernel_drop_counter_rises_when_the_socket_overflows(tmp_path: Path) -> None:
    """A tiny receive buffer, nobody reading, a burst: the kernel drops and says so."""
    sock = open_socket(ListenAddress("127.0.0.1", 0), 4096)
    other = open_socket(ListenAddress("127.0.0.1", 0), 8 << 20)
    assert kernel_drops([sock]) == 0
    send_all(sock.getsockname()[1], range(200))
    send_all(other.getsockname()[1], range(10))
    dropped = kernel_drops([sock])
    queued = 0
    while True:
        try:
            sock.recv(65535)
            queued += 1
        except BlockingIOError:
            break
    assert dropped > 0 and dropped + queued == 200
    assert kernel_drops([other]) == 0
    sock.close()
    other.close()


def test_the_receive_buffer_asked_for_is_granted_beyond_rmem_max() -> None:
    """As root (as ./run test runs), SO_RCVBUFFORCE lifts net.core.rmem_max's cap."""
    rmem_max = int(Path("/proc/sys/net/core/rmem_max").read_text())
    asked = max(rmem_max * 2, 16 << 20)
    sock = open_socket(ListenAddress("127.0.0.1", 0), asked)
    try:
        assert granted_buffer(sock) == 2 * asked
    finally:
        sock.close()


def queued_payload(number: int) -> bytes:
    """Every seventh one empty: a zero-length datagram is valid UDP and must be kept."""
    return b"" if number % 7 == 0 else number.to_bytes(4, "big") * (1 + number % 9)


def test_stop_takes_everything_the_socket_holds_empty_datagrams_too(kind: str,
                                                                     tmp_path: Path) -> None:
    """Closing a socket discards its queue without a count anywhere, so stop takes the
    sockets until they are empty, however much they hold (10,000 here: more than one
    pass of the receive loop takes)."""
    sock = open_socket(ListenAddress("127.0.0.1", 0), 64 << 20)
    count = 10_000
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        for number in range(count):
            sender.sendto(queued_payload(number), ("127.0.0.1", sock.getsockname()[1]))
    assert kernel_view([sock]).drops == 0 and kernel_view([sock]).queued_bytes > 0
    receiver = open_receiver([sock], tmp_path, SpoolBounds())
    receiver.start()
    receiver.stop()  # at once: nearly everything is still queued
    assert kernel_view([sock]).queued_bytes == 0
    sock.close()
    assert [r[4] for r in read_contract(tmp_path)] == [queued_payload(n) for n in range(count)]
    assert receiver.counters()["datagrams"] == count


def test_refused_after_the_gate_counted_by_the_kernel_queued_kept(tmp_path: Path) -> None:
    """`refuse_new` is how the collector stops: what arrives afterwards is dropped and
    counted by the kernel, what was queued before is still read."""
    sock = open_socket(ListenAddress("127.0.0.1", 0), 8 << 20)
    port = sock.getsockname()[1]
    send_all(port, range(10))
    assert refuse_new(sock)
    send_all(port, range(10, 60))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        sender.sendto(b"", ("127.0.0.1", port))
    assert kernel_view([sock]).drops == 51
    taken = []
    while True:
        try:
            taken.append(sock.recv(65535))
        except BlockingIOError:
            break
    assert taken == [payload(n) for n in range(10)]
    assert kernel_view([sock]) == KernelView(drops=51, queued_bytes=0)
    sock.close()
