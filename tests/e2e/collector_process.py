"""Drive a real `pahna collect` process and a loopback exporter for the e2e tests."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa

from pahna.schema import FLOW_SCHEMA, IPV4_MAPPED_PREFIX

REPO = Path(__file__).resolve().parents[2]
BASE_MS = 1_760_000_000_000
STOP_LINE = re.compile(
    r"^stopped: received (?P<received>\d+) datagrams, (?P<kernel_drops>\d+) kernel drops "
    r"\((?P<after_stop>\d+) refused after the stop\), (?P<spool_full>\d+) dropped by a full "
    r"spool, (?P<write_failed>\d+) lost to failed spool writes, (?P<unread_bytes>\d+) bytes "
    r"unread at close", re.MULTILINE)


def free_port(family: int = socket.AF_INET, host: str = "127.0.0.1") -> int:
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def start_collector(home: Path, *args: str) -> tuple[subprocess.Popen[str], list[int]]:
    """Start `pahna collect`; return the process and the UDP ports it bound."""
    process = subprocess.Popen(
        [sys.executable, "-m", "pahna", "collect", "--home", str(home), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
        env={**os.environ})
    assert process.stderr is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if line.startswith("listening on"):
            bound = line.removeprefix("listening on").strip().split(", ")
            return process, [int(address.rpartition(":")[2]) for address in bound]
        if not line and process.poll() is not None:
            break
    process.kill()
    raise AssertionError(f"collector did not start: {process.stderr.read()}")


def numbered_flows(first: int, count: int) -> pa.Table:
    """Flows whose (src_port, dst_port) spell their number, so each is identifiable."""
    rows = [{
        "exporter": IPV4_MAPPED_PREFIX + bytes(4), "observation_domain": 0,
        "src_addr": IPV4_MAPPED_PREFIX + bytes([10, 9, (n >> 8) & 255, n & 255]),
        "dst_addr": IPV4_MAPPED_PREFIX + bytes([192, 0, 2, 1]),
        "src_port": n & 0xFFFF, "dst_port": n >> 16, "protocol": 6, "bytes": 1000 + n,
        "packets": 1, "start_ms": BASE_MS + n, "end_ms": BASE_MS + n, "sampling_rate": 1,
        "input_if": 1, "output_if": 2, "direction": 0, "src_as": 0, "dst_as": 0,
        "batch_id": "",
    } for n in range(first, first + count)]
    return pa.Table.from_pylist(rows, schema=FLOW_SCHEMA)


def flow_number(row: dict[str, object]) -> int:
    return int(str(row["dst_port"])) << 16 | int(str(row["src_port"]))


def stop_counts(stderr: str) -> dict[str, int] | None:
    """The counters of `pahna collect`'s stop line (None when it did not print one)."""
    found = STOP_LINE.search(stderr)
    return {k: int(v) for k, v in found.groupdict().items()} if found else None
