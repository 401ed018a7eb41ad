"""Fuzzing, short: mutated datagrams from every shared capture through `pahna ingest` (as a
pcap) and through a running `pahna collect` (over UDP). Nothing crashes or dies, both exit
0, every datagram is decoded, a duplicate, or quarantined with its bytes and a reason, and
a clean stream sent afterwards is stored in full. The long run (a million datagrams and
more) is benchmarks/intake_fuzz.py."""

from __future__ import annotations

import json
import signal
import socket
import time
from pathlib import Path

import pytest
from collector_process import flow_number, numbered_flows, start_collector, stop_counts
from tests.fuzzing import stream
from tests.golden.pcap_writer import write_pcap

from pahna.intake.ipfix.encoder import encode_flows
from pahna.intake.spool import decode_records
from pahna.schema import IPV4_MAPPED_PREFIX
from pahna.store.reader import iter_flows

COUNT = 2500
CLEAN = 3000
CLEAN_DOMAIN = 4242


def check_quarantine(home: Path) -> int:
    """Every quarantined item has its bytes and a reason; returns how many there are."""
    count = 0
    for lines in (home / "quarantine").rglob("*.jsonl"):
        metas = [json.loads(line) for line in lines.read_text().splitlines()]
        records = decode_records(lines.with_suffix(".psg").read_bytes())[0]
        assert [len(r.payload) for r in records] == [m["bytes"] for m in metas]
        assert all(m["reason"] for m in metas)
        count += len(metas)
    return count


@pytest.mark.slow
def test_fuzzed_capture_through_ingest(pahna_cli, shared_dir: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    pahna_cli("init", "--home", str(home))
    pairs = list(stream(shared_dir, COUNT, seed=12))
    capture = write_pcap(tmp_path / "fuzz.pcap", [(bytes([10, 99, 0, e]), p) for e, p in pairs])
    result = pahna_cli("ingest", "--home", str(home), "--json", str(capture), timeout=600)
    report = json.loads(result.stdout)
    assert report["replay"]["datagrams"] == COUNT
    seen = sum(c["datagrams"] + c["duplicates"] for c in report["counters"].values())
    assert seen == COUNT, "a datagram was neither decoded, a duplicate nor quarantined"
    quarantined = sum(c["quarantined"] for c in report["counters"].values())
    assert quarantined > COUNT // 10
    assert check_quarantine(home) == quarantined
    again = json.loads(pahna_cli("ingest", "--home", str(home), "--json", str(capture),
                                 timeout=600).stdout)
    assert again["files"][0]["records"] == 0  # everything decoded is known: stored once


@pytest.mark.slow
def test_fuzzed_stream_through_collect_then_a_clean_stream_is_stored(
        pahna_cli, shared_dir: Path, tmp_path: Path) -> None:
    """Every datagram sent is received or counted as dropped by the kernel (exactly: a
    datagram that vanished with no counter fails it), and every one received is decoded,
    a duplicate, or quarantined with its reason (an empty one as `empty`)."""
    home = tmp_path / "home"
    pahna_cli("init", "--home", str(home))
    collector, (port,) = start_collector(home, "--listen", "127.0.0.1:0",
                                         "--flush-interval", "0.3")
    fuzzed = [payload for _, payload in stream(shared_dir, COUNT, seed=21)]
    fuzzed[100:100] = [b""] * 5  # zero-length datagrams are valid UDP
    clean = list(encode_flows(numbered_flows(0, CLEAN), domain=CLEAN_DOMAIN, template_every=20))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        for index, payload in enumerate(fuzzed):
            sender.sendto(payload, ("127.0.0.1", port))
            if index % 200 == 0:
                time.sleep(0.01)
        time.sleep(1.0)
        assert collector.poll() is None, "the collector died on hostile input"
        for message in clean:
            sender.sendto(message, ("127.0.0.1", port))
            time.sleep(0.001)
    time.sleep(1.5)
    collector.send_signal(signal.SIGTERM)
    out, err = collector.communicate(timeout=120)
    assert collector.returncode == 0, err[-3000:]
    assert "Traceback" not in err, err[-3000:]
    stop = stop_counts(err)
    assert stop is not None, err[-3000:]
    assert stop["received"] + stop["kernel_drops"] == len(fuzzed) + len(clean), stop
    assert stop["unread_bytes"] == stop["spool_full"] == stop["write_failed"] == 0, stop
    counters = json.loads(out)
    assert sum(c["datagrams"] + c["duplicates"] for c in counters.values()) == stop["received"]
    if not stop["kernel_drops"]:
        assert sum(c["errors"].get("empty", 0) for c in counters.values()) == fuzzed.count(b"")
    assert check_quarantine(home) > 0
    numbers = [flow_number(r) for b in iter_flows(home / "store") for r in b.to_pylist()
               if r["observation_domain"] == CLEAN_DOMAIN
               and r["exporter"] == IPV4_MAPPED_PREFIX + bytes([127, 0, 0, 1])]
    assert sorted(numbers) == list(range(CLEAN)), "the clean stream was not stored in full"
