"""The thin slice through the real `pahna` command: UDP -> store -> usage -> settlement."""

from __future__ import annotations

import ipaddress
import json
import os
import signal
import socket
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pyarrow as pa
from tests.conftest import REPO, CliRunner
from tests.flowgen import Flow, flow_table

from pahna.demo.exporter import send_flows
from pahna.schema import address_to_text

T0 = 1_761_165_000_000  # 1404-08-01 00:00 Tehran
CLAIMS = {"qom-univ": ["185.120.0.0/16", "2a0e:9b10::/32"],
          "qom-lab": ["185.120.64.0/24"], "teh-news": ["185.104.0.0/22"]}
TARIFF = ('id = "t"\nversion = 1\nvalid_from = "1404-01"\npool_minor = 1000000007\n'
          '[volume]\nrate_per_gb = "90000000"\n'
          'billed_classes = ["domestic", "international", "unknown"]\n')


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def month_of_flows(count: int = 3000) -> pa.Table:
    rng = np.random.default_rng(7)
    sources = ["185.120.1.9", "185.120.64.7", "185.104.3.3", "2a0e:9b10::1", "151.232.0.1"]
    flows = []
    for _i in range(count):
        src = sources[int(rng.integers(0, len(sources)))]
        dst = "2a01:5ec0::9" if ":" in src else "5.112.0.9"
        start = T0 + int(rng.integers(0, 29 * 86_400_000))
        flows.append(Flow(src, dst, int(rng.integers(1, 10**9)), start,
                          start + int(rng.integers(0, 600_000))))
    return flow_table(flows)


def expected_bytes(flows: pa.Table) -> dict[str | None, int]:
    """Naive attribution, one flow at a time, with the standard library."""
    nets = [(ipaddress.ip_network(n), pid) for pid, ns in CLAIMS.items() for n in ns]
    out: dict[str | None, int] = {}
    for row in flows.to_pylist():
        addr = ipaddress.ip_address(address_to_text(row["src_addr"]))
        owners = [(n.prefixlen, pid) for n, pid in nets
                  if n.version == addr.version and addr in n]
        owner = max(owners)[1] if owners else None
        out[owner] = out.get(owner, 0) + row["bytes"]
    return out


def setup_registry(pahna_cli: CliRunner, home: Path, tmp_path: Path) -> None:
    pahna_cli("init", "--home", str(home))
    for pid, province in (("qom-univ", "IR-25"), ("qom-lab", "IR-25"), ("teh-news", "IR-23")):
        pahna_cli("registry", "add-producer", pid, "--name", pid, "--province", province,
                  "--type", "public_centre", "--home", str(home))
    for pid, nets in CLAIMS.items():
        for net in nets:
            pahna_cli("registry", "add-claim", pid, net, "--approve-nested", "--home", str(home))
    tariff = tmp_path / "t.toml"
    tariff.write_text(TARIFF)
    pahna_cli("tariff", "import", str(tariff), "--home", str(home))


def collect_over_udp(home: Path, flows: pa.Table) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "pahna", "collect", "--home", str(home), "--listen",
         f"127.0.0.1:{port}"], stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        cwd=REPO, env=os.environ.copy())
    try:
        assert proc.stderr is not None
        assert "listening on" in proc.stderr.readline()
        send_flows(flows, "127.0.0.1", port)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    counters = json.loads(out)["127.0.0.1"]
    assert counters["records"] == flows.num_rows and counters["errors"] == {}


def test_udp_to_statements(pahna_cli: CliRunner, tmp_path: Path) -> None:
    home = tmp_path / "home"
    setup_registry(pahna_cli, home, tmp_path)
    flows = month_of_flows()
    collect_over_udp(home, flows)
    usage = json.loads(pahna_cli("usage", "--period", "1404-08", "--json", "--home",
                                 str(home)).stdout)["usage"]
    assert {row["producer_id"]: row["bytes"] for row in usage} == expected_bytes(flows)

    settled = json.loads(pahna_cli("settle", "--period", "1404-08", "--json", "--home",
                                   str(home)).stdout)
    lines = settled["lines"]
    assert settled["scaled_to_pool"]
    assert sum(line["amount_minor"] for line in lines) == 1_000_000_007
    total = sum(line["billed_bytes"] for line in lines)
    for line in lines:
        exact = Fraction(1_000_000_007 * line["billed_bytes"], total)
        assert abs(line["amount_minor"] - exact) < 1
    statements = home / "statements" / "1404-08"
    own = statements / "statements" / "qom-univ" / "statement.html"
    assert own.read_text().count("qom-univ") >= 2
    assert (statements / "summary.csv").read_text().count("\n") == 4


def test_commands_refuse_a_foreign_folder(pahna_cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("not a workspace")
    result = pahna_cli("usage", "--period", "1404-08", "--home", str(tmp_path), check=False)
    assert result.returncode == 66
    assert "not a pahna workspace" in result.stderr


def test_every_command_has_help(pahna_cli: CliRunner) -> None:
    top = pahna_cli("--help").stdout
    commands = ["init", "demo", "ingest", "collect", "registry", "usage", "settle", "tariff",
                "costs", "statements", "payments", "explain", "grants"]
    for name in commands:
        assert name in top
        text = pahna_cli(name, "--help").stdout
        assert "Usage:" in text and len(text.splitlines()) > 4, name
