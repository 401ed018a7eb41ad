"""A watched folder: log files dropped into it are ingested once they stop growing.

The folder is looked into every `interval` seconds (a plain listing, which works on the
network file systems log shippers write to, where change notifications do not reach).
A file is taken when its size and modification time are the same at two looks in a row;
hidden files (`.name`, as rsync and most shippers use while copying) and files inside
hidden folders (rsync's `.rsync-partial/`) never. A file taken once is taken again only
if it changes; one already stored is known by its content and not stored twice whatever
happens here, and one that begins with a log stored under its name (the same file,
grown) is refused (store.logingest).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path


def _files(folders: Sequence[Path]) -> dict[Path, tuple[int, int]]:
    out = {}
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            hidden = any(part.startswith(".") for part in path.relative_to(folder).parts)
            if hidden or not path.is_file():  # .name and files in .folders (partial copies)
                continue
            stat = path.stat()
            out[path] = (stat.st_size, stat.st_mtime_ns)
    return out


def watch_folders(folders: Sequence[Path], interval_s: float, stop: threading.Event,
                  take: Callable[[Path], None]) -> int:
    """Call `take` on each file that settles in `folders`, until `stop` is set; returns
    how many files were taken."""
    last: dict[Path, tuple[int, int]] = {}
    done: dict[Path, tuple[int, int]] = {}
    taken = 0
    while True:
        now = _files(folders)
        for path, state in now.items():
            if last.get(path) == state and done.get(path) != state:
                take(path)
                done[path] = state
                taken += 1
        last = now
        if stop.wait(interval_s):
            return taken
