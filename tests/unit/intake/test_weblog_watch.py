"""`pahna ingest --log-format F --watch DIR`, the real command: a log file that settles
in the folder is stored once; a file still being copied under a hidden name is not taken
until it is renamed; the same content under another name is known and not stored twice;
SIGTERM stops the watch cleanly with a count."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import REPO

from pahna.config import PahnaConfig, WeblogSettings
from pahna.store.logs import read_log_manifests
from pahna.workspace import init_workspace

LINE = '203.0.113.5 - - [10/Oct/2025:13:55:36 +0330] "GET /a HTTP/1.1" 200 100 "-" "M"\n'


def wait_for(output: Path, text: str, timeout_s: float = 60) -> str:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        seen = output.read_text(encoding="utf-8")
        if text in seen:
            return seen
        time.sleep(0.05)
    raise AssertionError(f"{text!r} never appeared in:\n{output.read_text(encoding='utf-8')}")


def test_watch_takes_settled_files_once_and_stops_on_sigterm(tmp_path: Path) -> None:
    home, folder = tmp_path / "home", tmp_path / "incoming"
    folder.mkdir()
    init_workspace(home, PahnaConfig(weblog=WeblogSettings(watch_interval_s=0.1)))
    out, err = tmp_path / "out.txt", tmp_path / "err.txt"
    with out.open("w") as stdout, err.open("w") as stderr:
        watcher = subprocess.Popen(
            [sys.executable, "-m", "pahna", "ingest", "--log-format", "nginx-combined",
             "--host", "www.example.ir", "--watch", str(folder), "--home", str(home)],
            stdout=stdout, stderr=stderr, cwd=REPO, env=os.environ.copy())
        try:
            wait_for(err, "watching")
            copying = folder / ".access.log.part"  # a shipper still copying: never taken
            copying.write_text(LINE * 3)
            time.sleep(0.5)
            assert "access.log" not in out.read_text(encoding="utf-8")
            assert read_log_manifests(home / "store") == []
            copying.rename(folder / "access.log")
            wait_for(out, "access.log: 3 records, 300 bytes, 0 lines rejected")
            (folder / "again.log").write_text(LINE * 3)  # the same content, another name
            wait_for(out, "again.log: already stored")
        finally:
            watcher.send_signal(signal.SIGTERM)
            code = watcher.wait(timeout=60)
    assert code == 0, err.read_text(encoding="utf-8")
    assert "stopped: 2 files taken" in err.read_text(encoding="utf-8")
    [manifest] = read_log_manifests(home / "store")
    assert (manifest.records, manifest.bytes) == (3, 300)
