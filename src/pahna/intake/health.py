"""When each exporter's data last reached the store, and the alarm for an expected exporter
that went silent.

A collector notes, after every batch the store committed, the exporters that batch held
datagrams of, and keeps the times in a small file per receiving process,

    state/exporters-KEY.json      {"EXPORTER": last commit, ms since the epoch, ...}

(KEY names the collector's listen addresses and worker, as its intake state does), so the
workers sharing an address (each exporter's datagrams go to one of them) and a restarted
collector agree: an exporter's last commit is the latest any of them noted. An expected
exporter (`[collector] expected_exporters`) never seen counts from the collector's start.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from pahna.store.durable import write_atomically

Clock = Callable[[], float]


def exporters_file(home: Path, key: str) -> Path:
    return home / "state" / f"exporters-{key}.json"


class ExporterHealth:
    """Last commit per exporter, and which expected exporters are silent."""

    def __init__(self, home: Path, key: str, shared: str, expected: Iterable[str],
                 silence_limit_s: float, clock: Clock = time.time) -> None:
        self.path = exporters_file(home, key)
        self.pattern = f"exporters-{shared}*.json"
        self.expected = sorted(set(expected))
        self.limit_s = silence_limit_s
        self.clock = clock
        self.started = clock()
        self.silent: set[str] = set()
        self._lock = threading.Lock()
        self._own: dict[str, int] = _read(self.path)

    def committed(self, exporters: Iterable[str]) -> None:
        """A batch holding datagrams of `exporters` was committed just now."""
        now_ms = int(self.clock() * 1000)
        with self._lock:
            for exporter in exporters:
                self._own[exporter] = now_ms
            data = json.dumps(self._own, sort_keys=True).encode()
        write_atomically(self.path, data)

    def last_commits(self) -> dict[str, float]:
        """Exporter -> seconds since the epoch of its last commit (every worker's)."""
        merged: dict[str, int] = {}
        for path in sorted(self.path.parent.glob(self.pattern)):
            for exporter, at_ms in (self._own if path == self.path else _read(path)).items():
                merged[exporter] = max(merged.get(exporter, 0), at_ms)
        return {exporter: at_ms / 1000 for exporter, at_ms in merged.items()}

    def ages(self) -> dict[str, float]:
        """Seconds since the last commit of every exporter seen, and of every expected one
        (never seen: since the collector started)."""
        now = self.clock()
        last = self.last_commits()
        out = {exporter: max(0.0, now - at) for exporter, at in last.items()}
        for exporter in self.expected:
            out.setdefault(exporter, max(0.0, now - self.started))
        return dict(sorted(out.items()))

    def check(self) -> list[str]:
        """Lines to log: each expected exporter that went silent past the limit, and each
        silent one that is heard again (said once per change)."""
        ages = self.ages()
        lines = []
        for exporter in self.expected:
            silent = ages[exporter] > self.limit_s
            if silent and exporter not in self.silent:
                self.silent.add(exporter)
                lines.append(f"ALARM exporter {exporter} silent: nothing of it committed for "
                             f"{ages[exporter]:.0f} s (limit {self.limit_s:g} s)")
            elif not silent and exporter in self.silent:
                self.silent.discard(exporter)
                lines.append(f"exporter {exporter} heard again")
        return lines


def watch(health: ExporterHealth, stop: threading.Event,
          alarm: Callable[[str], None]) -> threading.Thread:
    """Check `health` a few times per silence limit until `stop`, logging each change."""
    interval = max(0.1, min(5.0, health.limit_s / 4))

    def run() -> None:
        while not stop.wait(interval):
            for line in health.check():
                alarm(line)

    thread = threading.Thread(target=run, name="exporter-watch", daemon=True)
    thread.start()
    return thread


def _read(path: Path) -> dict[str, int]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): int(v) for k, v in data.items() if isinstance(v, int)}
