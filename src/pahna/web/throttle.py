"""Login throttling: too many wrong passwords for a name or from an address lock both
out for a while. Held in memory: one portal process guards its own door."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque


class LoginThrottle:
    """At most `limit` failures per key within `window_s`; then refuse until the oldest
    failure leaves the window."""

    def __init__(self, limit: int = 5, window_s: float = 900.0) -> None:
        self.limit = limit
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def retry_after(self, *keys: str) -> int:
        """Seconds to wait before another attempt is heard (0: go ahead)."""
        now = time.monotonic()
        wait = 0.0
        with self._lock:
            for key in keys:
                times = self._prune(key, now)
                if len(times) >= self.limit:
                    wait = max(wait, times[0] + self.window_s - now)
        return int(wait) + (1 if wait > 0 else 0)

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._failures[key].append(now)

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)

    def _prune(self, key: str, now: float) -> deque[float]:
        times = self._failures[key]
        while times and times[0] <= now - self.window_s:
            times.popleft()
        return times
