"""Hosting list versions in the workspace: read, imported in time order, never into a
final month, and checked against what a final sealed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pahna.errors import ClosedPeriodError, ImportFileError, RegistryError
from pahna.integrity.hosting import HostingVersion, read_hosting_file
from pahna.integrity.versions import (
    changed_versions,
    hosting_dir,
    hosting_versions,
    import_hosting,
    versions_in,
)
from pahna.ledger.book import Ledger
from pahna.workspace import Workspace


def listing(tmp_path: Path, text: str, name: str = "dc.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_file_holds_prefixes_and_as_numbers(tmp_path: Path) -> None:
    path = listing(tmp_path, "# dc\n203.0.113.0/24\n2001:db8::/32  # v6\nAS64500\n"
                             "198.51.100.0/24\n203.0.113.0/24\nas64501\n")
    assert read_hosting_file(path) == (
        ("198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32"), (64500, 64501))
    for bad in ("203.0.113.1/24\n", "ASX\n", "AS0\n"):
        with pytest.raises(ImportFileError):
            read_hosting_file(listing(tmp_path, bad, "bad.txt"))


def test_versions_follow_each_other(workspace: Workspace, tmp_path: Path) -> None:
    first = import_hosting(workspace, [listing(tmp_path, "203.0.113.0/24\n")], 1_000)
    second = import_hosting(workspace, [listing(tmp_path, "AS64500\n")], 5_000)
    assert [v.version for v in hosting_versions(workspace)] == [1, 2]
    assert hosting_versions(workspace)[0].valid_to_ms == 5_000
    assert versions_in(workspace, (0, 4_000)) == (hosting_versions(workspace)[0],)
    assert [v.version for v in versions_in(workspace, (4_000, 6_000))] == [1, 2]
    assert second.asns == (64500,) and first.prefixes == ("203.0.113.0/24",)
    with pytest.raises(RegistryError, match="time order"):
        import_hosting(workspace, [listing(tmp_path, "192.0.2.0/24\n")], 5_000)


def test_a_version_reaching_into_a_final_month_is_refused(workspace: Workspace,
                                                          tmp_path: Path) -> None:
    ledger = Ledger(workspace.home)
    period = ledger.period_dir("1404-08")
    period.mkdir(parents=True)
    (period / "final-r1.json").write_text(json.dumps(
        {"period": "1404-08", "revision": 1, "seal": {}, "settlement": {"lines": []}}))
    with pytest.raises(ClosedPeriodError):
        import_hosting(workspace, [listing(tmp_path, "203.0.113.0/24\n")], 0)
    assert ledger.events()[-1]["action"] == "refused"
    assert hosting_versions(workspace) == []


def test_verify_names_a_changed_or_altered_version(workspace: Workspace,
                                                  tmp_path: Path) -> None:
    version = import_hosting(workspace, [listing(tmp_path, "203.0.113.0/24\n")], 1_000)
    sealed = [version.entry()]
    assert changed_versions(workspace, sealed) == []
    altered = {**sealed[0], "prefixes": ["198.51.100.0/24"]}
    assert "in the final's basis was altered" in changed_versions(workspace, [altered])[0]
    path = hosting_dir(workspace) / "v1.json"
    os.chmod(path, 0o644)
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "asns": [64500]}))
    assert changed_versions(workspace, sealed) == [
        f"hosting list v1 was changed after finalizing (sealed sha256 "
        f"{version.sha256[:16]}…, now "
        f"{HostingVersion(1, 1_000, None, version.prefixes, (64500,)).sha256[:16]}…)"]
    path.unlink()
    assert changed_versions(workspace, sealed) == [
        "hosting list v1, sealed with the final, is gone"]
