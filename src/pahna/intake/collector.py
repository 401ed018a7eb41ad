"""The UDP collector: receive export datagrams and hand them on in timed batches.

Receiving is kept apart from decoding: the socket loop only copies datagrams into a
list, and every `flush_interval_s` the list is handed to a flusher thread that runs the
sink (decode, store), so the sockets keep being drained while a batch is written. A
crash loses what arrived since the last flush and the batch being written, if any.
"""

from __future__ import annotations

import queue
import selectors
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from pahna.errors import ConfigError, PahnaError
from pahna.intake.base import Datagram
from pahna.schema import address_to_bytes

Sink = Callable[[list[Datagram]], None]
MAX_DATAGRAM = 65535


@dataclass(frozen=True)
class ListenAddress:
    host: str
    port: int

    @classmethod
    def parse(cls, text: str) -> ListenAddress:
        """`127.0.0.1:4739` or `[::1]:4739`."""
        host, sep, port = text.rpartition(":")
        if not sep or not port.isdigit() or not host:
            raise ConfigError(f"listen address {text!r}: expected HOST:PORT or [V6]:PORT")
        return cls(host.strip("[]"), int(port))


def open_socket(address: ListenAddress, receive_buffer: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in address.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    for option in (getattr(socket, "SO_RCVBUFFORCE", None), socket.SO_RCVBUF):
        if option is None:
            continue
        try:
            sock.setsockopt(socket.SOL_SOCKET, option, receive_buffer)
            break
        except OSError:
            continue
    sock.bind((address.host, address.port))
    sock.setblocking(False)
    return sock


class UdpCollector:
    """Collect datagrams from one or more UDP sockets until `stop` is set."""

    def __init__(self, addresses: list[ListenAddress], sink: Sink, flush_interval_s: float = 5.0,
                 receive_buffer: int = 32 << 20) -> None:
        self.sockets = [open_socket(a, receive_buffer) for a in addresses]
        self.sink = sink
        self.flush_interval_s = flush_interval_s
        self.received = 0
        self.failed_batches = 0
        self.last_error = ""
        self._peers: dict[str, bytes] = {}
        self.stop = threading.Event()

    @property
    def ports(self) -> list[int]:
        return [s.getsockname()[1] for s in self.sockets]

    def run(self) -> None:
        """Receive until stopped; flush on the interval and once more at the end."""
        selector = selectors.DefaultSelector()
        for sock in self.sockets:
            selector.register(sock, selectors.EVENT_READ)
        batches: queue.Queue[list[Datagram] | None] = queue.Queue()
        flusher = threading.Thread(target=self._flush_loop, args=(batches,), daemon=True)
        flusher.start()
        pending: list[Datagram] = []
        next_flush = time.monotonic() + self.flush_interval_s
        try:
            while not self.stop.is_set():
                for key, _ in selector.select(timeout=0.05):
                    self._drain(key.fileobj, pending)  # type: ignore[arg-type]
                if time.monotonic() >= next_flush:
                    pending = self._hand_over(pending, batches)
                    next_flush = time.monotonic() + self.flush_interval_s
            for sock in self.sockets:
                self._drain(sock, pending)
            self._hand_over(pending, batches)
        finally:
            batches.put(None)
            flusher.join()
            selector.close()
            for sock in self.sockets:
                sock.close()

    def _flush_loop(self, batches: queue.Queue[list[Datagram] | None]) -> None:
        """Run the sink on each batch; a batch the store refuses is counted, and the
        collector goes on (it never stops on data)."""
        while (batch := batches.get()) is not None:
            try:
                self.sink(batch)
            except (PahnaError, OSError) as error:
                self.failed_batches += 1
                self.last_error = f"{type(error).__name__}: {error}"

    @staticmethod
    def _hand_over(pending: list[Datagram],
                   batches: queue.Queue[list[Datagram] | None]) -> list[Datagram]:
        if pending:
            batches.put(pending)
        return []

    def _drain(self, sock: socket.socket, pending: list[Datagram]) -> None:
        now_ms = time.time_ns() // 1_000_000
        for _ in range(4096):
            try:
                payload, peer = sock.recvfrom(MAX_DATAGRAM)
            except BlockingIOError:
                return
            exporter = self._peers.get(peer[0])
            if exporter is None:
                exporter = self._peers[peer[0]] = address_to_bytes(peer[0].split("%")[0])
            pending.append(Datagram(exporter, payload, now_ms))
            self.received += 1
