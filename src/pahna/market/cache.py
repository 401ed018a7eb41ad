"""The published months the portal serves, and the builder that publishes them.

A request only reads: `MarketCache.months()` lists `market/*.json` and reads a file again
only when it changed (by modification time and size); figures whose final is no longer in
force (a void) are not shown. The figures are computed outside requests: by
`pahna market build`, or by the builder thread `pahna serve` starts, which every
`check_s` seconds builds the months whose final in force has no current figures (a
final of a month is found within `check_s`, its figures follow after one build). The
thread has each month built in a child process at a lower CPU priority (as the portal's
snapshots are), so a build neither holds the serve process's interpreter lock nor takes
the CPU before requests do.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from pahna.market.build import (
    MarketMonth,
    build_month,
    is_current,
    market_dir,
    pending_periods,
    read_month,
)
from pahna.workspace import Workspace

LOG = logging.getLogger("pahna.web")
BUILD_NICENESS = 10
"""How much lower than the portal's the builder's CPU priority is."""


def _lower_priority() -> None:
    os.nice(BUILD_NICENESS)


def _build(workspace: Workspace, period: str) -> str:
    return build_month(workspace, period).period


class MarketCache:
    """Published months by period, read from their files (see the module doc)."""

    def __init__(self, workspace: Workspace, check_s: float = 10.0,
                 isolate: bool = False) -> None:
        self.workspace = workspace
        self.check_s = check_s
        self.isolate = isolate
        """Build in a child process (the thread `start` runs does)."""
        self.builds = 0
        """Months the builder thread computed (a counter for tests and logs)."""
        self._held: dict[str, tuple[tuple[int, int], MarketMonth]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool: ProcessPoolExecutor | None = None

    def months(self) -> list[MarketMonth]:
        """Every published month whose final is in force, oldest first."""
        folder = market_dir(self.workspace)
        paths = sorted(folder.glob("[0-9][0-9][0-9][0-9]-[0-9][0-9].json")) \
            if folder.is_dir() else []
        out = [m for m in (self._read(p) for p in paths) if m is not None]
        return [m for m in out if is_current(self.workspace, m)]

    def month(self, period: str) -> MarketMonth | None:
        return next((m for m in self.months() if m.period == period), None)

    def _read(self, path: Path) -> MarketMonth | None:
        try:
            stat = path.stat()
        except OSError:
            return None
        key = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            held = self._held.get(path.stem)
            if held is not None and held[0] == key:
                return held[1]
        month = read_month(self.workspace, path.stem)
        if month is not None:
            with self._lock:
                self._held[path.stem] = (key, month)
        return month

    # -- the builder -----------------------------------------------------------------
    def start(self) -> None:
        """Start the builder thread (once); it builds in a child process."""
        self.isolate = True
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="pahna-market",
                                            daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def build_pending(self) -> list[str]:
        """Build every month whose figures are missing or stale; the periods built (an
        error is logged and the month tried again on the next round)."""
        built = []
        for period in pending_periods(self.workspace):
            try:
                if self.isolate:
                    self._builder().submit(_build, self.workspace, period).result()
                else:
                    build_month(self.workspace, period)
            except BrokenProcessPool:
                LOG.warning("the market builder process died; another builds %s next "
                            "round", period)
                self._pool = None
                continue
            except Exception as error:  # a daemon thread logs and carries on
                LOG.warning("market figures of %s not built: %s: %s", period,
                            type(error).__name__, error)
                continue
            self.builds += 1
            built.append(period)
        return built

    def _builder(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                initializer=_lower_priority)
        return self._pool

    def _run(self) -> None:
        while True:
            self.build_pending()
            if self._stop.wait(self.check_s):
                return
