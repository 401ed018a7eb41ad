"""The store refuses batches (its file system is full, or read-only): the collector says
so loudly, keeps every datagram in its spool and retries; once the store takes writes
again everything is stored, once. The store is a small tmpfs mounted over HOME/store for
the test (needs root, as `./run test` has), filled to the last byte or remounted
read-only."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from collector_process import flow_number, numbered_flows, start_collector

from pahna.intake.ipfix.encoder import encode_flows
from pahna.store.manifests import read_manifests
from pahna.store.reader import iter_flows

TOTAL = 4000


@pytest.fixture(params=["full", "read-only"])
def refusing_store(request: pytest.FixtureRequest, tmp_path: Path,
                   pahna_cli) -> Iterator[tuple[Path, Callable[[], None]]]:
    """A workspace whose store refuses writes, and what makes it take them again."""
    home = tmp_path / "home"
    pahna_cli("init", "--home", str(home))
    store = home / "store"
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(store)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.fail(f"cannot mount a tmpfs for the store (run as root): {mounted.stderr}")
    if request.param == "full":
        filler = store / "filler"
        with filler.open("wb") as handle:
            try:
                while True:
                    handle.write(b"\0" * 65536)
                    handle.flush()
            except OSError:
                pass
        recover: Callable[[], None] = lambda: os.unlink(filler)  # noqa: E731
    else:
        subprocess.run(["mount", "-o", "remount,ro", str(store)], check=True)
        recover = lambda: subprocess.run(  # noqa: E731
            ["mount", "-o", "remount,rw", str(store)], check=True) and None
    yield home, recover
    subprocess.run(["umount", "-l", str(store)], check=False)


@pytest.mark.slow
def test_a_refusing_store_loses_nothing_once_it_takes_writes_again(
        refusing_store: tuple[Path, Callable[[], None]]) -> None:
    home, recover = refusing_store
    collector, (port,) = start_collector(home, "--listen", "127.0.0.1:0",
                                         "--flush-interval", "0.3")
    lines: list[str] = []
    assert collector.stderr is not None
    reader = threading.Thread(target=lambda: lines.extend(iter(collector.stderr.readline, "")))
    reader.start()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        for message in encode_flows(numbered_flows(0, TOTAL), template_every=20):
            sender.sendto(message, ("127.0.0.1", port))
            time.sleep(0.002)
    deadline = time.monotonic() + 30
    while not any("ALARM the store refused" in line for line in lines):
        assert time.monotonic() < deadline, "".join(lines)
        time.sleep(0.1)
    time.sleep(1.5)  # a few retries while full
    assert collector.poll() is None, "the collector stopped on a full store"
    assert not list(iter_flows(home / "store"))
    recover()  # room again, or writable again
    deadline = time.monotonic() + 60
    while sum(b.num_rows for b in iter_flows(home / "store")) < TOTAL:
        assert time.monotonic() < deadline, "".join(lines[-20:])
        time.sleep(0.2)
    collector.send_signal(signal.SIGTERM)
    collector.wait(timeout=60)
    reader.join()
    assert collector.returncode == 0, "".join(lines[-20:])
    stored = Counter(flow_number(r) for b in iter_flows(home / "store") for r in b.to_pylist())
    assert sorted(stored) == list(range(TOTAL)) and max(stored.values()) == 1
    assert not list((home / "spool").rglob("seg-*.seg"))
    named = [s for m in read_manifests(home / "store") for s in m.segments]
    assert named and all(s.startswith("seg-") and s.endswith(".seg") for s in named)
