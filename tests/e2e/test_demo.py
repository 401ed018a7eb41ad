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
    total = sum(int(r["billed_bytes"]) for r in rows)
    for row in rows:
        assert abs(int(row["amount_minor"]) - Fraction(pool * int(row["billed_bytes"]), total)) < 1
    # running it again replaces the earlier demo cleanly
    again = pahna_cli("demo", "--home", str(home), "--flows", "40000", timeout=300)
    assert again.returncode == 0
