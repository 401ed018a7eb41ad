"""The receive side of a running `pahna collect`: several processes on one port, and the
kernel's drop counter in the metrics and the flush line."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from collector_process import (
    REPO,
    flow_number,
    free_port,
    numbered_flows,
    start_collector,
    stop_counts,
)

from pahna.intake.ipfix.encoder import encode_flows
from pahna.intake.spool import decode_records
from pahna.store.reader import iter_flows
from pahna.store.state import listen_key

SENDERS = 16
PER_SENDER = 400


@pytest.mark.slow
def test_two_workers_on_one_port_store_everything_once(pahna_cli, tmp_path: Path) -> None:
    home = tmp_path / "home"
    pahna_cli("init", "--home", str(home))
    port = free_port(socket.AF_INET)
    listen = f"127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "pahna", "collect", "--home", str(home), "--listen", listen,
         "--workers", "2", "--flush-interval", "0.3"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    assert process.stderr is not None
    lines = []
    while not (line := process.stderr.readline()).startswith("listening on"):
        lines.append(line)
        assert line or process.poll() is None, "".join(lines)
    assert "with 2 workers" in line
    for index in range(SENDERS):  # each its own source port: the kernel spreads them
        flows = numbered_flows(index * PER_SENDER, PER_SENDER)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            for message in encode_flows(flows, domain=index + 1):
                sender.sendto(message, ("127.0.0.1", port))
                time.sleep(0.0005)
    time.sleep(1.0)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    stored = Counter(flow_number(r) for b in iter_flows(home / "store") for r in b.to_pylist())
    assert sorted(stored) == list(range(SENDERS * PER_SENDER)), err
    assert max(stored.values()) == 1, "a flow was stored twice"
    counters = json.loads(out)
    assert sum(c["records"] for c in counters.values()) == SENDERS * PER_SENDER
    key = listen_key([listen])
    states = [json.loads((home / "state" / f"intake-state-{key}-w{i}.json").read_text())
              for i in range(2)]
    assert all(json.dumps(state).count('"templates"') for state in states), (
        "both workers received and stored some of the exporters")
    assert sorted(p.name for p in (home / "spool").iterdir()) == [f"{key}-w0", f"{key}-w1"]


@pytest.mark.slow
def test_kernel_drops_are_counted_exported_and_printed(pahna_cli, tmp_path: Path) -> None:
    """A small receive buffer and a paused collector: the kernel drops part of a burst,
    and what the collector received plus what the kernel dropped is what was sent."""
    home = tmp_path / "home"
    pahna_cli("init", "--home", str(home))
    config = home / "pahna.toml"
    config.write_text(re.sub(r"receive_buffer_bytes = \d+", "receive_buffer_bytes = 65536",
                             config.read_text()))
    metrics_port = free_port(socket.AF_INET)
    process, (port,) = start_collector(home, "--listen", "127.0.0.1:0", "--flush-interval",
                                       "0.3", "--metrics", f"127.0.0.1:{metrics_port}")
    messages = list(encode_flows(numbered_flows(0, 20_000)))
    _send_while_paused(process, port, messages)
    page = _scrape_until(metrics_port, lambda text: _metric(text, "received_total") > 0)
    drops, received = _metric(page, "kernel_drops_total"), _metric(page, "received_total")
    assert drops > 0
    assert drops + received == len(messages)
    time.sleep(1.0)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    flushes = [int(m) for m in re.findall(r"(\d+) kernel drops", err)]
    assert flushes and flushes[-1] == drops, err


@pytest.mark.slow
def test_a_stop_takes_everything_still_queued_in_the_socket(pahna_cli, tmp_path: Path) -> None:
    """Closing a socket discards what it holds without a count anywhere. The collector is
    paused while 30,000 datagrams queue in its socket (many times what one pass of its
    receive loop takes), then told to stop and resumed: every one is received and kept
    (here in quarantine: version 99 is no export format), and the stop line says so."""
    home = tmp_path / "home"
    pahna_cli("init", "--home", str(home))
    process, (port,) = start_collector(home, "--listen", "127.0.0.1:0", "--flush-interval",
                                       "0.3")
    sent = [b"\x00\x63" + number.to_bytes(4, "big") for number in range(30_000)]
    _send_while_paused(process, port, sent, then=signal.SIGTERM)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert stop_counts(err) == {"received": len(sent), "kernel_drops": 0, "after_stop": 0,
                                "spool_full": 0, "write_failed": 0, "unread_bytes": 0}, err
    kept = [d.payload for path in sorted((home / "quarantine").rglob("*.psg"))
            for d in decode_records(path.read_bytes())[0]]
    assert sorted(kept) == sent
    assert sum(c["errors"]["unsupported_version"] for c in json.loads(out).values()) == len(sent)


def _send_while_paused(process: subprocess.Popen[str], port: int, payloads: list[bytes],
                       then: signal.Signals | None = None) -> None:
    """Pause the collector (SIGSTOP) so that `payloads` queue in its socket, send it the
    signal `then` if given, and let it go on."""
    time.sleep(0.5)
    os.kill(process.pid, signal.SIGSTOP)
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            for payload in payloads:
                sender.sendto(payload, ("127.0.0.1", port))
        if then is not None:
            process.send_signal(then)
    finally:
        os.kill(process.pid, signal.SIGCONT)


def _metric(page: str, name: str) -> int:
    found = re.search(rf"^pahna_collector_{name} (\d+)", page, re.MULTILINE)
    assert found, page
    return int(found.group(1))


def _scrape_until(port: int, ready: Callable[[str], bool], timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    while True:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as reply:
            page = reply.read().decode()
        if ready(page) or time.monotonic() > deadline:
            return page
        time.sleep(0.1)
