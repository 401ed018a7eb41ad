"""A collector that stops loses nothing that reached its sockets uncounted: what they hold
is taken into the spool and stored, what arrives once the stop began is refused and
counted by the kernel, and the counters are read just before the sockets close, so
datagrams sent = received + kernel drops, exactly."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from pahna.intake import collector as collector_module
from pahna.intake.base import Datagram
from pahna.intake.collector import UdpCollector
from pahna.intake.receiver import Receiver, open_receiver
from pahna.intake.sockets import ListenAddress


@pytest.fixture(params=["compiled", "python"])
def kind(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("PAHNA_RECEIVER", "" if request.param == "compiled" else "python")
    return str(request.param)


def numbered(number: int) -> bytes:
    return b"" if number % 11 == 0 else number.to_bytes(4, "big") * 8


def send(port: int, numbers: range) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        for number in numbers:
            sender.sendto(numbered(number), ("127.0.0.1", port))


class LateArrivals:
    """The real receiver; `late` datagrams are sent just as it is asked to stop, that is
    after the collector began to refuse new ones."""

    def __init__(self, inner: Receiver, port: int, late: range) -> None:
        self.inner, self.port, self.late = inner, port, late

    def start(self) -> None:
        self.inner.start()

    def stop(self) -> None:
        send(self.port, self.late)
        self.inner.stop()

    def counters(self) -> dict[str, int]:
        return self.inner.counters()


def test_a_stop_with_a_full_socket_and_late_arrivals_accounts_for_every_datagram(
        kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stored: list[Datagram] = []
    collector = UdpCollector([ListenAddress("127.0.0.1", 0)],
                             lambda datagrams, _: stored.extend(datagrams), tmp_path / "spool",
                             receive_buffer=64 << 20)
    port = collector.ports[0]
    queued, late = range(8_000), range(8_000, 8_300)
    monkeypatch.setattr(collector_module, "open_receiver", lambda *args: LateArrivals(
        open_receiver(*args), port, late))
    send(port, queued)  # everything still queued when the stop begins
    collector.stop.set()
    collector.run()
    counters = collector.counters()
    assert [d.payload for d in stored] == [numbered(n) for n in queued]
    assert counters["datagrams"] == len(queued)
    assert counters["kernel_drops"] == counters["kernel_drops_after_stop"] == len(late)
    assert counters["datagrams"] + counters["kernel_drops"] == len(queued) + len(late)
    assert counters["unread_bytes_at_close"] == 0
    assert all(s.fileno() == -1 for s in collector.sockets)
