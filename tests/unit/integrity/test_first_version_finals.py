"""A final sealed before `night_ratio`, `network_excess` and the evidence existed still
verifies: what it sealed is compared bit for bit, the added parts are not asked of it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from tests.inflated_month import INFLATED, inflated_final
from tests.unit.web.conftest import PERIOD

from pahna.integrity.compat import as_first_version
from pahna.ledger.book import Ledger
from pahna.ledger.seal import Seal
from pahna.settle.document import canonical_bytes
from pahna.verification import verify


def reseal(path: Path, record: dict[str, Any]) -> None:
    """Write the record as if sealed so (its hashes made to match what it says)."""
    digest = hashlib.sha256(canonical_bytes(record["settlement"])).hexdigest()
    record["seal"] = Seal(record["seal"]["inputs"], digest).record()
    path.chmod(0o644)
    path.write_text(json.dumps(record), encoding="utf-8")


def test_a_first_version_final_verifies_and_its_figures_are_still_checked(
        tmp_path: Path) -> None:
    workspace = inflated_final(tmp_path / "home")
    path = Ledger(workspace.home).final_path(PERIOD, 1)
    record = json.loads(path.read_text(encoding="utf-8"))
    integrity = record["settlement"]["integrity"]
    assert "evidence" in integrity and "night_ratio" in integrity["signals"][INFLATED]
    record["settlement"]["integrity"] = as_first_version(integrity)
    reseal(path, record)
    assert verify(workspace, PERIOD)[0] == []

    record["settlement"]["integrity"]["signals"][INFLATED]["machine_share"] = 0.1
    reseal(path, record)
    (problem,) = verify(workspace, PERIOD)[0]
    assert problem.startswith("integrity: sealed") and "'machine_share': 0.1," in problem


def test_a_second_version_final_verifies_without_the_signals_on_record_counts(
        tmp_path: Path) -> None:
    """Sealed with night_ratio, network_excess and the evidence, before `records`,
    `step_z`, `night_z` and `record_excess`: it verifies, and what it sealed is still
    compared bit for bit."""
    from pahna.integrity.compat import COUNT_SIGNALS, as_second_version

    workspace = inflated_final(tmp_path / "home")
    path = Ledger(workspace.home).final_path(PERIOD, 1)
    record = json.loads(path.read_text(encoding="utf-8"))
    integrity = record["settlement"]["integrity"]
    assert all(name in integrity["signals"][INFLATED] for name in COUNT_SIGNALS)
    second = as_second_version(integrity)
    assert not any(name in second["signals"][INFLATED] for name in COUNT_SIGNALS)
    assert "night_ratio" in second["signals"][INFLATED] and "evidence" in second
    record["settlement"]["integrity"] = second
    reseal(path, record)
    assert verify(workspace, PERIOD)[0] == []

    record["settlement"]["integrity"]["signals"][INFLATED]["night_ratio"] = 9.5
    reseal(path, record)
    (problem,) = verify(workspace, PERIOD)[0]
    assert problem.startswith("integrity: sealed") and "'night_ratio': 9.5," in problem
