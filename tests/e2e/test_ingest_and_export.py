"""`pahna ingest`, `pahna flows export` and `pahna collect` through the real command."""

from __future__ import annotations

import csv
import io
import ipaddress
import json
import signal
import socket
import time
import urllib.request
from pathlib import Path

import pytest
from collector_process import free_port, numbered_flows, start_collector

from pahna.intake.ipfix.encoder import encode_flows
from pahna.intake.netflow.encoder import encode_v5
from pahna.intake.sflow.encoder import encode_sflow
from pahna.store.quarantine import quarantined

PMACCT = "captures/pmacct-cases"
PMACCT_PORTS = ("--port", "9991", "--port", "9992")  # where pmacct's cases were sent


@pytest.mark.slow
def test_ingest_is_exactly_once_and_quarantines_bad_files(pahna_cli, tmp_path: Path,
                                                          shared_dir: Path) -> None:
    home = str(tmp_path / "home")
    pahna_cli("init", "--home", home)
    cases = shared_dir / PMACCT
    bad = tmp_path / "bad.dat"
    bad.write_bytes((shared_dir / "captures/vendor-payloads/netflow5_test_invalid01.dat")
                    .read_bytes())
    first = json.loads(pahna_cli("ingest", "--home", home, "--json", *PMACCT_PORTS,
                                 str(cases), str(bad)).stdout)
    pcaps = [f for f in first["files"] if f["file"].endswith(".pcap")]
    # case 111's traffic-00 repeats 11 datagrams of case 101 (same exporter, bytes and
    # capture day): the same exports, stored once
    assert len(pcaps) == 8 and sum(f["records"] for f in pcaps) == 137 - 11
    (repeat,) = [f for f in pcaps if "111-" in f["file"] and "traffic-00" in f["file"]]
    assert repeat["duplicate"] and repeat["records"] == 0
    assert [f["rejected"] for f in first["files"] if f["file"] == str(bad)] == [1]
    again = json.loads(pahna_cli("ingest", "--home", home, "--json", *PMACCT_PORTS,
                                 str(cases)).stdout)
    assert all(f["duplicate"] for f in again["files"] if f["file"].endswith(".pcap"))
    others = [f for f in again["files"] if not f["file"].endswith(".pcap")]
    assert others and all(f["rejected"] == 1 for f in others)  # not exports: rejected again,
    files = list((Path(home) / "quarantine").rglob("*.psg"))  # and quarantined once
    assert len(files) == len({p.read_bytes() for p in files})
    exported = pahna_cli("flows", "export", "--home", home, "--format", "jsonl").stdout
    rows = [json.loads(line) for line in exported.splitlines()]
    assert len(rows) == 126
    assert {"2a02:a90:4007:700::54", "138.187.0.13"} <= {r["exporter"] for r in rows}
    reasons = {line["reason"] for line in quarantined(Path(home) / "quarantine")}
    assert "bad_count" in reasons


@pytest.mark.slow
def test_flows_export_csv_with_a_time_window(pahna_cli, tmp_path: Path,
                                             shared_dir: Path) -> None:
    home = str(tmp_path / "home")
    pahna_cli("init", "--home", home)
    pahna_cli("ingest", "--home", home, *PMACCT_PORTS,
              str(shared_dir / PMACCT / "100-IPFIXv10-CISCO"))
    everything = list(csv.DictReader(io.StringIO(
        pahna_cli("flows", "export", "--home", home, "--format", "csv").stdout)))
    assert len(everything) == 12
    first = min(int(r["start_ms"]) for r in everything)
    window = list(csv.DictReader(io.StringIO(pahna_cli(
        "flows", "export", "--home", home, "--from", str(first + 1)).stdout)))
    assert len(window) == sum(1 for r in everything if int(r["start_ms"]) > first)
    assert window and all(ipaddress.ip_address(r["src_addr"]) for r in window)


@pytest.mark.slow
def test_collect_on_ipv4_and_ipv6_ports_with_metrics(pahna_cli, tmp_path: Path) -> None:
    """IPFIX on one IPv4 port, NetFlow v5 and sFlow on an IPv6 port, metrics served."""
    home = tmp_path / "home"
    pahna_cli("init", "--home", str(home))
    metrics = free_port()
    collector, ports = start_collector(
        home, "--listen", "127.0.0.1:0", "--listen", "[::1]:0",
        "--metrics", f"127.0.0.1:{metrics}", "--flush-interval", "0.3")
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as v4:
            for message in encode_flows(numbered_flows(0, 100)):
                v4.sendto(message, ("127.0.0.1", ports[0]))
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as v6:
            for message in encode_v5(numbered_flows(100, 50), 1_760_000_001_000, 10**7):
                v6.sendto(message, ("::1", ports[1]))
            for message in encode_sflow(numbered_flows(150, 20)):
                v6.sendto(message, ("::1", ports[1]))
            v6.sendto(b"\x00\x63garbage", ("::1", ports[1]))
        page = _metrics_when(metrics, 'pahna_intake_records_total{exporter="::1"} 70')
        assert 'pahna_intake_records_total{exporter="127.0.0.1"} 100' in page
        assert ('pahna_intake_decode_errors_total{exporter="::1",reason="unsupported_version"} 1'
                in page)
    finally:
        collector.send_signal(signal.SIGTERM)
        out, _ = collector.communicate(timeout=30)
    counters = json.loads(out)
    assert counters["::1"]["records"] == 70 and counters["::1"]["quarantined"] == 1
    exported = pahna_cli("flows", "export", "--home", str(home), "--format", "jsonl").stdout
    assert len(exported.splitlines()) == 170


def _metrics_when(port: int, wanted: str, timeout_s: float = 20) -> str:
    deadline = time.monotonic() + timeout_s
    page = ""
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
            page = answer.read().decode()
        if wanted in page:
            return page
        time.sleep(0.2)
    raise AssertionError(f"{wanted!r} never appeared in:\n{page}")


@pytest.mark.slow
def test_a_retracted_batch_is_stored_again_when_its_exports_come_again(
        pahna_cli, tmp_path: Path, shared_dir: Path) -> None:
    """Export identities store each export once; a retracted batch no longer holds its
    exports, so the same capture ingested again after `store retract` is a new batch
    (docs/decisions: retraction), not a duplicate of nothing."""
    home = str(tmp_path / "home")
    pahna_cli("init", "--home", home)
    capture = str(shared_dir / PMACCT / "100-IPFIXv10-CISCO" / "traffic-00.pcap")
    first = json.loads(pahna_cli("ingest", "--home", home, "--json", *PMACCT_PORTS,
                                 capture).stdout)
    assert sum(f["records"] for f in first["files"]) == 12
    (batch,) = json.loads(pahna_cli("store", "batches", "--home", home, "--json").stdout)
    pahna_cli("store", "retract", batch["batch_id"], "--reason", "re-collect",
              "--home", home)
    assert pahna_cli("flows", "export", "--home", home, "--format", "jsonl").stdout == ""
    again = json.loads(pahna_cli("ingest", "--home", home, "--json", *PMACCT_PORTS,
                                 capture).stdout)
    assert sum(f["records"] for f in again["files"]) == 12
    assert not any(f["duplicate"] for f in again["files"])
    exported = pahna_cli("flows", "export", "--home", home, "--format", "jsonl").stdout
    assert len(exported.splitlines()) == 12
    stored = json.loads(pahna_cli("store", "batches", "--home", home, "--json").stdout)
    assert len(stored) == 1 and stored[0]["records"] == 12
    thrice = json.loads(pahna_cli("ingest", "--home", home, "--json", *PMACCT_PORTS,
                                  capture).stdout)
    assert all(f["duplicate"] for f in thrice["files"])  # and once again only once
