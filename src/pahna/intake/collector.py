"""The UDP collector: datagrams to the spool on disk, then in batches to the sink.

Receiving is kept apart from decoding by the spool: the receive path
(`pahna.intake.receiver`, compiled when it could be built) appends every datagram to a
segment file under the spool folder as it arrives, and seals the segment when it is
big or old enough. A flusher thread hands each sealed segment's datagrams to the sink
(decode, store) and deletes the segment only once the sink returned, so the sockets are
drained at the rate the receive path takes, whatever decoding costs, and a crash loses
nothing that reached the spool. The flusher runs at a lower CPU priority than the
receive thread: when both want the core, receiving wins and decoding lags behind.

At stop, nothing that reached a socket is lost uncounted: what arrives from then on is
refused by the kernel and counted as dropped, everything queued is taken into the spool,
the kernel's counters are read and the sockets closed; only then does the last flush
store what the spool holds. So datagrams sent = received + kernel drops, exactly.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from pahna.intake.base import Datagram
from pahna.intake.receiver import (
    Receiver,
    SpoolBounds,
    open_receiver,
)
from pahna.intake.sockets import (
    ListenAddress,
    kernel_drops,
    kernel_view,
    open_socket,
    refuse_new,
)
from pahna.intake.spool import decode_records

Sink = Callable[[list[Datagram], tuple[str, ...]], None]
"""Takes the datagrams of sealed segments (and the segments' names) and returns once they
are in the store; it retries a refusing store itself, and raises only to stop."""
FLUSHER_NICE = 10
"""How much lower the flusher's priority is than the receive thread's (nice steps)."""
POLL_S = 0.1
BATCH_BYTES = 64 << 20
"""Segment bytes handed to the sink at once, at most (a segment is never split)."""

__all__ = ["ListenAddress", "Sink", "UdpCollector"]


class UdpCollector:
    """Collect datagrams from one or more UDP sockets until `stop` is set."""

    def __init__(self, addresses: list[ListenAddress], sink: Sink, spool: Path,
                 flush_interval_s: float = 5.0, receive_buffer: int = 32 << 20,
                 bounds: SpoolBounds | None = None, reuse_port: bool = False,
                 alarm: Callable[[str], None] | None = None) -> None:
        self.sockets = [open_socket(a, receive_buffer, reuse_port) for a in addresses]
        self.sink = sink
        self.spool = spool
        self.flush_interval_s = flush_interval_s
        self.bounds = bounds or SpoolBounds(segment_age_s=flush_interval_s)
        self.alarm = alarm or (lambda text: print(text, file=sys.stderr, flush=True))
        self.fatal: BaseException | None = None
        self.stop = threading.Event()
        self._receiver: Receiver | None = None
        self.torn_bytes = 0
        """Bytes cut from the torn tails of segments a killed process left open."""
        self._spool_full_seen = 0
        self._at_close: dict[str, int] | None = None

    @property
    def ports(self) -> list[int]:
        return [s.getsockname()[1] for s in self.sockets]

    @property
    def received(self) -> int:
        return self.counters()["datagrams"]

    def counters(self) -> dict[str, int]:
        """The receive path's counters and the kernel's on the sockets: `kernel_drops`
        (of which `kernel_drops_after_stop` were refused once the stop began) and
        `unread_bytes_at_close` (what the close discarded; 0 unless something went
        wrong), read just before the sockets closed once they are."""
        out = dict(self._receiver.counters()) if self._receiver is not None else {
            "datagrams": 0}
        if self._at_close is not None:
            out.update(self._at_close)
        else:
            out["kernel_drops"] = kernel_drops(self.sockets) if self._receiver is not None else 0
            out["kernel_drops_after_stop"] = out["unread_bytes_at_close"] = 0
        out["spool_torn_bytes"] = self.torn_bytes
        return out

    def run(self) -> None:
        """Receive until stopped; flush sealed segments as they come and all at the end.
        Raises what stopped the flusher, if anything did."""
        self.spool.mkdir(parents=True, exist_ok=True)
        self.torn_bytes = seal_leftovers(self.spool)
        self._receiver = open_receiver(self.sockets, self.spool, self.bounds)
        flushing = threading.Event()
        flusher = threading.Thread(target=self._flush_loop, args=(flushing,), name="flusher",
                                   daemon=True)
        self._receiver.start()
        flusher.start()
        try:
            while not self.stop.wait(0.2):
                if self.fatal is not None:
                    break
        finally:
            self._close(self._receiver)
            flushing.set()
            flusher.join()
        if self.fatal is not None:
            raise self.fatal

    def _close(self, receiver: Receiver) -> None:
        """Stop receiving without discarding what the sockets hold: refuse what arrives
        from now on (the kernel drops and counts it), take everything queued into the
        spool, read the kernel's counters, then close (see pahna.intake.sockets)."""
        before = kernel_drops(self.sockets)
        for sock in self.sockets:
            refuse_new(sock)
        receiver.stop()
        view = kernel_view(self.sockets)
        self._at_close = {"kernel_drops": view.drops,
                          "kernel_drops_after_stop": view.drops - before,
                          "unread_bytes_at_close": view.queued_bytes}
        for sock in self.sockets:
            sock.close()
        if view.queued_bytes:
            self.alarm(f"ALARM {view.queued_bytes} bytes of datagrams were still queued in "
                       "the sockets at close, and are lost")

    def _flush_loop(self, last: threading.Event) -> None:
        with contextlib.suppress(OSError, AttributeError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), FLUSHER_NICE)
        try:
            while True:
                done = last.is_set()
                self._flush_sealed()
                self._watch_spool()
                if done:
                    return
                last.wait(POLL_S)
        except BaseException as error:  # the process must stop loudly, not look alive
            self.fatal = error
            self.stop.set()

    def _flush_sealed(self) -> None:
        sealed = sorted(self.spool.glob("seg-*.seg"))
        while sealed:
            batch: list[Path] = []
            size = 0
            while sealed and (not batch or size + sealed[0].stat().st_size <= BATCH_BYTES):
                size += sealed[0].stat().st_size
                batch.append(sealed.pop(0))
            self.sink([d for path in batch for d in read_segment(path)],
                      tuple(path.name for path in batch))
            for path in batch:  # only once their batch is in the store
                path.unlink()

    def _watch_spool(self) -> None:
        if self._receiver is None:
            return
        full = self._receiver.counters()["spool_full_datagrams"]
        if full > self._spool_full_seen:
            self.alarm(f"ALARM spool full ({self.spool}, bound {self.bounds.limit_bytes} "
                       f"bytes): {full - self._spool_full_seen} datagrams dropped "
                       f"({full} in all)")
            self._spool_full_seen = full


def read_segment(path: Path) -> list[Datagram]:
    """Every whole record of a segment, in order."""
    return _records(path.read_bytes())[0]


def _records(data: bytes) -> tuple[list[Datagram], int]:
    """The whole records at the start of `data`, and the bytes they take."""
    return decode_records(data)


def seal_leftovers(spool: Path) -> int:
    """Seal the segments a killed process left open, cut back to their last whole record;
    returns the torn bytes cut off."""
    torn = 0
    for path in sorted(spool.glob("seg-*.open")):
        with path.open("r+b") as handle:
            data = handle.read()
            whole = _records(data)[1]
            handle.truncate(whole)
            os.fsync(handle.fileno())
        torn += len(data) - whole
        path.rename(path.with_suffix(".seg"))
    if torn:
        print(f"spool {spool}: {torn} torn bytes cut from segments left open", file=sys.stderr)
    return torn

