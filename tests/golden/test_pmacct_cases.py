"""pahna against pmacct's own expected output for its test captures.

pmacct printed its records aggregated over the keys in each case's `aggregate[...]`; the
cases compared here are those whose meaning pahna shares: bytes and packets per exporter
as sent (nfacctd_renormalize false) or multiplied by the sampling rate (renormalize
true, which is what pahna's aggregation does with `sampling_rate`).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from pahna.intake.dispatch import FlowDecoder
from pahna.intake.replay import read_capture
from pahna.schema import address_to_text

CASES = Path("captures/pmacct-cases")
PROTOCOLS = {"tcp": 6, "udp": 17, "ipv6-icmp": 58, "vrrp": 112, "icmp": 1}


def _case(shared: Path, name: str) -> Path:
    matches = sorted((shared / CASES).glob(f"{name}-*"))
    assert len(matches) == 1, f"pmacct case {name} not found"
    return matches[0]


def _renormalized(case: Path) -> bool:
    conf = (case / "nfacctd-00.conf").read_text()
    match = re.search(r"^nfacctd_renormalize:\s*(\w+)", conf, re.MULTILINE)
    return bool(match and match.group(1).lower() == "true")


def _expected(case: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (case / "output-flow-00.json").read_text().splitlines()
            if line.strip()]


def _decoded(case: Path) -> list[dict[str, object]]:
    decoder = FlowDecoder()
    rows = []
    for capture in sorted(case.glob("traffic-*.pcap")):
        rows += decoder.decode(list(read_capture(capture)), "pmacct").flows.to_pylist()
    return rows


def _per_exporter(rows: list[tuple[str, int, int]]) -> list[tuple[int, int]]:
    """(bytes, packets) per exporter, sorted: pmacct's replay rewrote exporter addresses
    (peer_ip_src), so exporters are matched by their totals, not their names."""
    totals: dict[str, tuple[int, int]] = {}
    for exporter, octets, packets in rows:
        old = totals.get(exporter, (0, 0))
        totals[exporter] = (old[0] + octets, old[1] + packets)
    return sorted(totals.values())


@pytest.mark.parametrize("name", ["100", "101", "102", "104", "106", "111", "112"])
def test_totals_per_exporter_agree(shared_dir: Path, name: str) -> None:
    case = _case(shared_dir, name)
    scale = _renormalized(case)
    expected = [(str(r["peer_ip_src"]), int(str(r["bytes"])), int(str(r["packets"])))
                for r in _expected(case)]
    got = []
    for row in _decoded(case):
        rate = int(str(row["sampling_rate"])) if scale else 1
        got.append((str(row["exporter"]), int(str(row["bytes"])) * rate,
                    int(str(row["packets"])) * rate))
    assert _per_exporter(got) == _per_exporter(expected)
    assert sum(r[1] for r in got) > 0


def test_options_case_records_match_pmacct(shared_dir: Path) -> None:
    """Case 112 (a template from another UDP session, which tshark does not follow):
    every record pmacct printed, field by field."""
    case = _case(shared_dir, "112")
    expected = Counter(
        (r["ip_src"], r["ip_dst"], r["port_src"], r["port_dst"], PROTOCOLS[str(r["ip_proto"])],
         r["bytes"], r["packets"]) for r in _expected(case))
    got = Counter(
        (address_to_text(r["src_addr"]), address_to_text(r["dst_addr"]),  # type: ignore[arg-type]
         r["src_port"], r["dst_port"], r["protocol"], r["bytes"], r["packets"])
        for r in _decoded(case))
    assert got == expected
