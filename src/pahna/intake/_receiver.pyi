"""Types of the compiled receive path (_receiver.c)."""

from collections.abc import Sequence

HEADER_BYTES: int
MAGIC: int

class Receiver:
    def __init__(self, fds: Sequence[int], folder: str, first_sequence: int,
                 segment_bytes: int, segment_age_s: float, fsync_interval_s: float,
                 limit_bytes: int) -> None: ...
    def start(self) -> None: ...
    def stop(self) -> None: ...
    def counters(self) -> dict[str, int]: ...
