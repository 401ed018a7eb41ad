"""One lock per period, across processes: an OS file lock on `ledger/locks/PERIOD.lock`.

Whoever changes a period's ledger records (finalize, void, payment, a draft, an
adjustment or costs it carries) holds its lock, so two of them never interleave: a
second process, or a second thread of the portal, gets PeriodBusyError at once, naming
who holds it. The lock is `flock(2)` on an open file, so the kernel releases it when its
holder exits, however it exits (SIGKILL included): a crash never leaves a period locked.
Within one thread the lock is re-entrant, so a command holding it may call others that
take it too.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pahna.errors import PeriodBusyError

_held: dict[str, tuple[int, int]] = {}
"""Lock path -> (thread id, depth) for the locks this process holds."""
_guard = threading.Lock()


def lock_path(root: Path, period: str) -> Path:
    return root / "locks" / f"{period}.lock"


def _holder(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip() or "another process"
    except OSError:
        return "another process"


@contextmanager
def period_lock(root: Path, period: str, what: str) -> Iterator[None]:
    """Hold `period`'s lock while the block runs (`what` is shown to whoever waits)."""
    path = lock_path(root, period)
    key, me = str(path), threading.get_ident()
    with _guard:
        owner = _held.get(key)
        if owner is not None and owner[0] == me:
            _held[key] = (me, owner[1] + 1)
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _guard:
                _held[key] = (me, _held[key][1] - 1)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise PeriodBusyError(period, what, _holder(path)) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{what} (pid {os.getpid()}, since {time.strftime('%H:%M:%S')})"
                 .encode())
        with _guard:
            _held[key] = (me, 1)
        try:
            yield
        finally:
            with _guard:
                _held.pop(key, None)
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # closing the file releases the flock
