"""Every vendor payload in ../shared/captures decodes; the malformed ones are rejected
cleanly, counted by reason, and do not take the rest of their batch with them."""

from __future__ import annotations

import re
import zlib
from pathlib import Path

from pahna.intake.base import Datagram
from pahna.intake.dispatch import FlowDecoder
from pahna.schema import address_to_bytes

VENDOR = Path("captures/vendor-payloads")
OPTIONS_ONLY = "ipfix_test_juniper_mx240_junos151r6s3"
"""Its data file holds one options record (samplingInterval 1000), no flows."""
ROLE = re.compile(r"_(tpl|opttpl|tplopt|data|tpldata|tpls)")
INVALID = {
    "netflow5_test_invalid01.dat": "bad_count",
    "netflow5_test_invalid02.dat": "bad_count",
    "netflow9_test_invalid01.dat": "count_mismatch",
}


def _ordered(folder: Path) -> list[Path]:
    """Template files first, as a collector would receive them."""
    files = sorted(folder.glob("*.dat"))
    return sorted(files, key=lambda p: 0 if "tpl" in p.stem and "data" not in p.stem else 1)


def test_every_valid_payload_decodes_without_rejection(shared_dir: Path) -> None:
    decoder = FlowDecoder()
    files = [f for f in _ordered(shared_dir / VENDOR) if f.name not in INVALID]
    assert len(files) > 80
    records: dict[str, int] = {}
    for path in files:
        vendor = ROLE.split(path.stem)[0]  # one exporter per vendor
        number = zlib.crc32(vendor.encode())
        exporter = address_to_bytes(f"10.3.{number % 256}.{number // 256 % 256}")
        result = decoder.decode([Datagram(exporter, path.read_bytes(), 0)], "vendor")
        assert result.rejected == [], f"{path.name}: {result.rejected[0].error}"
        if "data" in path.stem or not ROLE.search(path.stem):
            records[vendor] = records.get(vendor, 0) + result.flows.num_rows
    assert all(not c.errors for c in decoder.counters.by_exporter.values())
    assert [v for v, n in records.items() if n == 0] == [OPTIONS_ONLY]
    learnt = decoder.templated["ipfix"].sampling.to_list()
    assert [[-1, 1000]] in [item["rates"] for item in learnt]  # Juniper's 1-in-1000


def test_invalid_payloads_are_rejected_and_the_batch_survives(shared_dir: Path) -> None:
    folder = shared_dir / VENDOR
    good = Datagram(address_to_bytes("192.0.2.9"), (folder / "netflow5.dat").read_bytes(), 0)
    bad = [Datagram(address_to_bytes("192.0.2.66"), (folder / name).read_bytes(), 0)
           for name in INVALID]
    decoder = FlowDecoder()
    result = decoder.decode([bad[0], good, *bad[1:]], "mixed")
    assert result.flows.num_rows == 30  # every record of the good datagram
    assert sorted(r.error.reason for r in result.rejected) == sorted(INVALID.values())
    counters = decoder.counters.exporter(address_to_bytes("192.0.2.66"))
    assert counters.datagrams == 3 and counters.records == 0
    assert dict(counters.errors) == {"bad_count": 2, "count_mismatch": 1}
