"""A real `pahna collect` over UDP: prometheus metrics with the process's own, seconds since
the last commit per exporter, spool depth, and the alarm (a log line and a metric) for an
expected exporter that went silent."""

from __future__ import annotations

import re
import signal
import socket
import time
import tomllib
import urllib.request
from pathlib import Path

import tomli_w
from collector_process import free_port, numbered_flows, start_collector

from pahna.intake.ipfix.encoder import encode_flows


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as reply:
        return str(reply.read().decode())


def value(page: str, name: str, exporter: str) -> float:
    found = re.search(rf'^{name}{{exporter="{re.escape(exporter)}"}} (\S+)$', page, re.M)
    assert found, page
    return float(found.group(1))


def test_a_silent_expected_exporter_raises_the_alarm(pahna_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    home = tmp_path / "home"
    pahna_cli("init", "--home", str(home))
    config = home / "pahna.toml"
    settings = tomllib.loads(config.read_text())
    settings["collector"].update(expected_exporters=["127.0.0.1", "192.0.2.9"],
                                 silence_limit_s=1.5)
    config.write_text(tomli_w.dumps(settings))
    metrics = free_port()
    process, (port,) = start_collector(home, "--listen", "127.0.0.1:0", "--flush-interval",
                                       "0.2", "--metrics", f"127.0.0.1:{metrics}")
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            deadline = time.monotonic() + 2.5
            messages = list(encode_flows(numbered_flows(0, 200)))
            while time.monotonic() < deadline:  # 127.0.0.1 keeps sending; 192.0.2.9 never
                for message in messages[:3]:
                    sender.sendto(message, ("127.0.0.1", port))
                time.sleep(0.2)
        page = scrape(metrics)
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
    assert value(page, "pahna_collector_exporter_silent", "192.0.2.9") == 1.0
    assert value(page, "pahna_collector_exporter_silent", "127.0.0.1") == 0.0
    assert value(page, "pahna_collector_seconds_since_last_commit", "127.0.0.1") < 1.5
    assert value(page, "pahna_collector_seconds_since_last_commit", "192.0.2.9") > 1.5
    assert re.search(r"^pahna_collector_spool_bytes \S+$", page, re.M)
    assert re.search(r"^pahna_collector_kernel_drops_total 0\.0$", page, re.M)
    assert re.search(r"^process_resident_memory_bytes \S+$", page, re.M)
    assert re.search(r"^pahna_intake_records_total\{exporter=\"127.0.0.1\"\} [1-9]", page, re.M)
    assert "ALARM exporter 192.0.2.9 silent" in err
    assert "ALARM exporter 127.0.0.1" not in err.partition("exporter 127.0.0.1 heard")[2]
