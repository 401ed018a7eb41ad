"""SIGKILL a collecting process at random moments of a stream, restart it each time, and
check the store: nothing that reached the spool is lost and nothing is stored twice.

What reached the spool is read from the spool folder right after each kill (sealed
segments and the whole records of the open one), as the process left it; after the
last restart the stream is stopped cleanly, so everything sent since is stored too.
Every committed file is readable and matches its manifest.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import threading
import time
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from collector_process import flow_number, free_port, numbered_flows, start_collector

from pahna.intake.base import Datagram
from pahna.intake.dispatch import FlowDecoder
from pahna.intake.ipfix.encoder import encode_flows
from pahna.store.manifests import file_sha256, read_manifests
from pahna.store.reader import iter_flows

FLUSH_S = 0.3
TOTAL = 24_000
KILLS = 3


def spooled(spool: Path) -> list[bytes]:
    """The payloads of every whole record in the spool folders (the contract's framing)."""
    out = []
    for path in sorted(spool.rglob("seg-*")):
        data, offset = path.read_bytes(), 0
        while offset + 32 <= len(data):
            length = int.from_bytes(data[offset + 4 : offset + 8], "little")
            if offset + 32 + length > len(data):
                break
            out.append(data[offset + 32 : offset + 32 + length])
            offset += 32 + length
    return out


@pytest.mark.slow
def test_sigkill_at_random_points_loses_nothing_spooled_and_stores_nothing_twice(
        pahna_cli, tmp_path: Path) -> None:
    home = tmp_path / "home"
    pahna_cli("init", "--home", str(home))
    messages = list(encode_flows(numbered_flows(0, TOTAL), template_every=25))
    contents = _contents(messages)
    index_of = {m: i for i, m in enumerate(messages)}
    port = free_port(socket.AF_INET)
    args = ("--listen", f"127.0.0.1:{port}", "--flush-interval", str(FLUSH_S))
    collector, _ = start_collector(home, *args)
    progress = {"sent": 0}
    done = threading.Event()

    def send() -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            for index, message in enumerate(messages):
                sender.sendto(message, ("127.0.0.1", port))
                progress["sent"] = index + 1
                time.sleep(0.004)
        done.set()

    thread = threading.Thread(target=send)
    thread.start()
    must_have: set[int] = set()
    rng = random.Random(1404)
    for _ in range(KILLS):
        time.sleep(rng.uniform(0.3, 1.2))
        os.kill(collector.pid, signal.SIGKILL)
        collector.wait(timeout=10)
        must_have |= {index_of[p] for p in spooled(home / "spool") if p in index_of}
        collector, _ = start_collector(home, *args)
    restarted_at = progress["sent"]
    thread.join()
    time.sleep(FLUSH_S * 4)
    collector.send_signal(signal.SIGTERM)
    _, log = collector.communicate(timeout=60)
    assert collector.returncode == 0, log[-2000:]
    _check_store(home / "store", log)
    stored = Counter(flow_number(r) for b in iter_flows(home / "store") for r in b.to_pylist())
    assert max(stored.values()) == 1, "a flow was stored twice"
    must_have |= set(range(restarted_at + 5, len(messages)))  # sent to the last process
    assert must_have, "the kills found nothing in the spool"
    missing = [m for m in sorted(must_have) if not all(n in stored for n in contents[m])]
    assert missing == [], f"spooled messages lost: {missing[:10]} of {len(must_have)}"


def _contents(messages: list[bytes]) -> list[list[int]]:
    """The flow numbers each message carries, read back with pahna's own decoder."""
    decoder = FlowDecoder()
    return [[flow_number(r) for r in decoder.decode([Datagram(bytes(16), m, 0)], "c")
             .flows.to_pylist()] for m in messages]


def _check_store(store: Path, log: str) -> None:
    manifests = read_manifests(store)
    assert manifests, log
    for manifest in manifests:
        for stored in manifest.files:
            path = store / stored.path
            assert file_sha256(path) == stored.sha256
            assert pq.read_table(path).num_rows == stored.rows
