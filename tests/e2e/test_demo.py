"""`pahna demo` end to end, on a small month."""

from __future__ import annotations

import csv
from fractions import Fraction
from pathlib import Path

from tests.conftest import CliRunner


def test_demo_settles_the_whole_pool(pahna_cli: CliRunner, tmp_path: Path) -> None:
    home = tmp_path / "demo"
    result = pahna_cli("demo", "--home", str(home), "--flows", "40000", timeout=300)
    assert "Settlement 1404-08" in result.stdout and "qom-univ" in result.stdout
    with (home / "statements" / "1404-08" / "summary.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 30
    pool = 2_000_000_000
    assert sum(int(r["amount_minor"]) for r in rows) == pool
    # the demo's own domestic list splits the traffic; only domestic bytes are billed
    assert all(int(r["domestic_bytes"]) > 0 and int(r["international_bytes"]) > 0 for r in rows)
    assert all(int(r["unknown_bytes"]) == 0 for r in rows)
    assert all(r["billed_bytes"] == r["domestic_bytes"] for r in rows)
    # the cloud studio receives about as much as it sends: refused by the 10:1 rule
    refused = {r["producer_id"] for r in rows if r["eligible"] == "false"}
    assert "krj-cloud" in refused and len(refused) < 5
    assert all(int(r["amount_minor"]) == 0 for r in rows if r["producer_id"] in refused)
    paid = [r for r in rows if r["producer_id"] not in refused]
    total = sum(int(r["billed_bytes"]) for r in paid)
    for row in paid:
        assert abs(int(row["amount_minor"]) - Fraction(pool * int(row["billed_bytes"]), total)) < 1
    assert (home / "demo-ir.cidr").read_text().count("/") > 30  # made by the demo itself
    # running it again replaces the earlier demo cleanly
    again = pahna_cli("demo", "--home", str(home), "--flows", "40000", timeout=300)
    assert again.returncode == 0
