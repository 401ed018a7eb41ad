"""The portal's snapshots, kept fresh outside requests.

A page reads the snapshot held for its period and never waits for a rebuild. A thread
of the serve process (the refresher) checks every `check_s` seconds whether what a held
snapshot depends on changed (its fingerprint: the period's summary.csv, the store's
manifests, its ledger folder); when it did, and the snapshot is at least `min_age_s`
old, the refresher builds the new one in a child process at a lower CPU priority (a
month's usage costs seconds of CPU: built there it neither holds this interpreter's lock
nor takes the CPU before requests do) and swaps it in with one assignment. A collector
committing every few seconds therefore costs pages nothing but a core in the background,
and figures trail the store by at most `min_age_s` plus one build.

Only a period's first snapshot is built where it is asked for, in the serve process
(the refresher builds the newest settled period's as soon as the portal starts, so that
a page rarely waits for it); a
change the portal makes itself (a draft, a final) is built at once by `refresh`, in the
request that made it, so its author sees it.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from pahna.web.snapshots import PeriodSnapshot, build_snapshot, fingerprint
from pahna.workspace import Workspace

LOG = logging.getLogger("pahna.web")
BUILD_NICENESS = 10
"""How much lower than the portal's the builder's CPU priority is."""


def _lower_priority() -> None:
    os.nice(BUILD_NICENESS)


class SnapshotCache:
    """Snapshots by period, refreshed by a background thread (see the module doc)."""

    def __init__(self, workspace: Workspace, check_s: float = 1.0,
                 min_age_s: float = 30.0, isolate: bool = True) -> None:
        self.workspace = workspace
        self.check_s = check_s
        self.min_age_s = min_age_s
        self.isolate = isolate
        """Rebuild in a child process (False: in the refresher thread itself)."""
        self.rebuilds = 0
        """Snapshots the refresher built and swapped in (a counter for tests and logs)."""
        self._held: dict[str, tuple[float, PeriodSnapshot]] = {}
        self._swap = threading.Lock()
        self._first = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool: ProcessPoolExecutor | None = None

    def periods(self) -> list[str]:
        """Settled periods (a statements folder with a summary.csv), newest first."""
        root = self.workspace.home / "statements"
        found = [p.name for p in root.glob("*") if (p / "summary.csv").is_file()] \
            if root.is_dir() else []
        return sorted(found, reverse=True)

    def get(self, period: str) -> PeriodSnapshot:
        """The snapshot held for `period` (built here only the first time)."""
        self.start()
        held = self._held.get(period)
        if held is not None:
            return held[1]
        return self._first_build(period)

    def _first_build(self, period: str) -> PeriodSnapshot:
        """Build a period's first snapshot in this thread; one build at a time, so a page
        asking meanwhile waits for it rather than building it again."""
        with self._first:
            held = self._held.get(period)
            if held is None:
                began = time.monotonic()
                self._put(period, began, build_snapshot(self.workspace, period))
                held = self._held[period]
        return held[1]

    def refresh(self, period: str) -> PeriodSnapshot:
        """Build `period`'s snapshot now, in this thread, and hold it (after the portal
        itself changed the period: its author sees the change on the next page)."""
        began = time.monotonic()
        snapshot = build_snapshot(self.workspace, period)
        self._put(period, began, snapshot)
        return snapshot

    def _put(self, period: str, began: float, snapshot: PeriodSnapshot) -> bool:
        """Hold `snapshot` unless one whose build began later is held already."""
        with self._swap:
            held = self._held.get(period)
            if held is not None and held[0] > began:
                return False
            self._held[period] = (began, snapshot)
            return True

    # -- the refresher ---------------------------------------------------------------
    def start(self) -> None:
        """Start the refresher (once; `get` starts it too)."""
        if self._thread is not None:
            return
        with self._swap:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="pahna-snapshots",
                                                daemon=True)
                self._thread.start()

    def stop(self) -> None:
        """Stop the refresher and its builder process (the portal is shutting down)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=30)
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _run(self) -> None:
        for period in self.periods()[:1]:
            try:
                self._first_build(period)
            except Exception as error:
                LOG.warning("snapshot of %s not built: %s: %s", period,
                            type(error).__name__, error)
        while not self._stop.wait(self.check_s):
            for period in list(self._held):
                if self._stop.is_set():
                    return
                if self._stale(period):
                    self._rebuild(period)

    def _stale(self, period: str) -> bool:
        began, snapshot = self._held[period]
        if time.monotonic() - began < self.min_age_s:
            return False
        try:
            return snapshot.fingerprint != fingerprint(self.workspace, period)
        except OSError:
            return False

    def _rebuild(self, period: str) -> None:
        """Build `period` in the child process and swap it in; an error keeps the held
        snapshot (logged, and tried again `min_age_s` later)."""
        began = time.monotonic()
        try:
            if self.isolate:
                snapshot = self._builder().submit(build_snapshot, self.workspace,
                                                  period).result()
            else:
                snapshot = build_snapshot(self.workspace, period)
        except BrokenProcessPool:
            LOG.warning("the snapshot builder process died; starting another")
            self._pool = None
            self._postpone(period, began)
            return
        except Exception as error:
            LOG.warning("snapshot of %s not rebuilt: %s: %s", period,
                        type(error).__name__, error)
            self._postpone(period, began)
            return
        if self._put(period, began, snapshot):
            self.rebuilds += 1

    def _postpone(self, period: str, began: float) -> None:
        with self._swap:
            held = self._held.get(period)
            if held is not None and held[0] < began:
                self._held[period] = (began, held[1])

    def _builder(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                initializer=_lower_priority)
        return self._pool
