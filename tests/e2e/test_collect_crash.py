"""SIGKILL a collecting process mid-stream, restart it, and check the store.

What must hold: every committed file is readable and matches its manifest; no flow is
stored twice; every flow sent more than one flush interval (plus scheduling slack) before
the kill is stored; the restarted collector decodes data at once with the templates it
saved before dying (the exporter sends its template only once, at the start).
"""

from __future__ import annotations

import os
import signal
import socket
import time
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from collector_process import flow_number, numbered_flows, start_collector

from pahna.intake.base import Datagram
from pahna.intake.dispatch import FlowDecoder
from pahna.intake.ipfix.encoder import encode_flows
from pahna.store.manifests import file_sha256, read_manifests
from pahna.store.reader import iter_flows

FLUSH_S = 0.5
SLACK_S = 1.0
TOTAL = 6000


@pytest.mark.slow
def test_sigkill_mid_stream_loses_at_most_a_flush_interval(pahna_cli, tmp_path: Path) -> None:
    home = tmp_path / "home"
    pahna_cli("init", "--home", str(home))
    messages = list(encode_flows(numbered_flows(0, TOTAL), template_every=10**9))
    contents = _contents(messages)
    collector, (port,) = start_collector(home, "--listen", "127.0.0.1:0",
                                         "--flush-interval", str(FLUSH_S))
    sent_at: list[float] = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        for index, message in enumerate(messages):
            if index == len(messages) // 2:
                time.sleep(0.05)
                kill_at = time.monotonic()
                os.kill(collector.pid, signal.SIGKILL)
                collector.wait(timeout=10)
                collector, (port,) = start_collector(home, "--listen", "127.0.0.1:0",
                                                     "--flush-interval", str(FLUSH_S))
            sender.sendto(message, ("127.0.0.1", port))
            sent_at.append(time.monotonic())
            time.sleep(0.004)
    time.sleep(FLUSH_S * 2)
    collector.send_signal(signal.SIGTERM)
    collector.wait(timeout=30)
    assert collector.stdout is not None and collector.stderr is not None
    log = collector.stderr.read()
    _check_store(home / "store", log)
    stored = Counter(flow_number(r) for b in iter_flows(home / "store") for r in b.to_pylist())
    assert stored, log
    assert max(stored.values()) == 1, "a flow was stored twice"
    must_have = {m for m, when in enumerate(sent_at) if when < kill_at - FLUSH_S - SLACK_S}
    must_have |= set(range(len(messages) // 2, len(messages)))  # after the restart
    missing = [m for m in sorted(must_have) if not all(n in stored for n in contents[m])]
    assert missing == [], f"messages lost outside the last flush interval: {missing[:10]}"
    window = [m for m, when in enumerate(sent_at) if kill_at - FLUSH_S - SLACK_S <= when]
    assert TOTAL - len(stored) <= sum(len(contents[m]) for m in window)


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
