"""Periods' lifecycle states for pages, read once per change of the ledger, not per page.

`ledger.state.period_state` reads a period's final record and hashes its draft; a page
listing every period (the producer page) did that for each on every request. Here each
period's state is held with a fingerprint of its ledger folder (the names in it, and the
draft's inode, size and modification time: finals, voids, payments and exports are new
files, a draft is replaced by a rename) taken before reading, and read again only when
that fingerprint changes. Writers (finalize, refusals) keep calling `period_state`.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from pahna.ledger.book import Ledger
from pahna.ledger.state import PeriodState, period_state

MAX_HELD = 512

_held: dict[tuple[Path, str], tuple[tuple[object, ...], PeriodState]] = {}
_lock = threading.Lock()


def ledger_fingerprint(home: Path, period: str) -> tuple[object, ...]:
    """What a period's state depends on (see the module doc)."""
    folder = Ledger(home).period_dir(period)
    try:
        names = tuple(sorted(os.listdir(folder)))
    except FileNotFoundError:
        return ()
    try:
        draft = os.stat(folder / "draft.json")
    except FileNotFoundError:
        return (names,)
    return names, (draft.st_ino, draft.st_size, draft.st_mtime_ns)


def cached_state(home: Path, period: str) -> PeriodState:
    """`period_state(home, period)`, read again only when the ledger folder changed."""
    key = (home, period)
    now = ledger_fingerprint(home, period)
    held = _held.get(key)
    if held is not None and held[0] == now:
        return held[1]
    state = period_state(home, period)
    with _lock:
        if len(_held) >= MAX_HELD:
            _held.clear()
        _held[key] = (now, state)
    return state
