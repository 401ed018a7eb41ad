"""The published months the portal serves, and the builder that publishes them.

A request only reads: `MarketCache.months()` lists `market/*.json` and reads a file again
only when it changed (by modification time and size); figures whose final is no longer in
force (a void) are not shown. The figures are computed outside requests: by
`pahna market build`, or by the builder thread `pahna serve` starts, which every
`check_s` seconds builds the months whose final in force has no current figures (a
final of a month is found within `check_s`, its figures follow after one build).
"""

from __future__ import annotations

import logging
import threading
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


class MarketCache:
    """Published months by period, read from their files (see the module doc)."""

    def __init__(self, workspace: Workspace, check_s: float = 10.0) -> None:
        self.workspace = workspace
        self.check_s = check_s
        self.builds = 0
        """Months the builder thread computed (a counter for tests and logs)."""
        self._held: dict[str, tuple[tuple[int, int], MarketMonth]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

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
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="pahna-market",
                                            daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def build_pending(self) -> list[str]:
        """Build every month whose figures are missing or stale; the periods built (an
        error is logged and the month tried again on the next round)."""
        built = []
        for period in pending_periods(self.workspace):
            try:
                build_month(self.workspace, period)
            except Exception as error:  # a daemon thread logs and carries on
                LOG.warning("market figures of %s not built: %s: %s", period,
                            type(error).__name__, error)
                continue
            self.builds += 1
            built.append(period)
        return built

    def _run(self) -> None:
        while True:
            self.build_pending()
            if self._stop.wait(self.check_s):
                return
