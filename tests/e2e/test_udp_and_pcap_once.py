"""The same traffic collected over UDP and ingested again as a pcap (as a tap beside the
collector captured it, at the moments it arrived) is stored once: the pcap's messages
are known by their export identity, whatever batches they come in."""

from __future__ import annotations

import json
import signal
import socket
import time
from pathlib import Path

import pytest
from collector_process import flow_number, numbered_flows, start_collector
from tests.golden.pcap_writer import write_pcap

from pahna.intake.ipfix.encoder import encode_flows
from pahna.intake.netflow.encoder import encode_v5
from pahna.store.reader import iter_flows

BASE_MS = 1_760_000_000_000


@pytest.mark.slow
def test_udp_then_pcap_of_the_same_traffic_is_stored_once(pahna_cli, tmp_path: Path) -> None:
    home = tmp_path / "home"
    pahna_cli("init", "--home", str(home))
    messages = [*encode_flows(numbered_flows(0, 1500), template_every=10),
                *encode_v5(numbered_flows(1500, 600), BASE_MS + 60_000, 10**7)]
    collector, (port,) = start_collector(home, "--listen", "127.0.0.1:0",
                                         "--flush-interval", "0.3")
    sent_us = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        for message in messages:
            sender.sendto(message, ("127.0.0.1", port))
            sent_us.append(time.time_ns() // 1000)
            time.sleep(0.002)
    time.sleep(1.0)
    collector.send_signal(signal.SIGTERM)
    collector.communicate(timeout=60)
    assert collector.returncode == 0
    numbers = sorted(flow_number(r) for b in iter_flows(home / "store") for r in b.to_pylist())
    assert numbers == list(range(2100))
    capture = write_pcap(tmp_path / "tap.pcap", [(bytes([127, 0, 0, 1]), m) for m in messages],
                         times_us=sent_us)
    report = json.loads(pahna_cli("ingest", "--home", str(home), "--json",
                                  str(capture)).stdout)
    assert report["files"][0]["records"] == 0 and report["files"][0]["duplicate"]
    assert report["counters"]["127.0.0.1"]["duplicates"] == len(messages)
    again = sorted(flow_number(r) for b in iter_flows(home / "store") for r in b.to_pylist())
    assert again == numbers
