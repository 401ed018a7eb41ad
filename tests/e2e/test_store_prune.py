"""`pahna store prune`: raw flows of a final month archived (a link left in the store), the
month still verifies; a month that is not final, and a UTC day reaching into it, are left
as they were; old quarantine days go; deleting never frees a file the archive lacks."""

from __future__ import annotations

import hashlib
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest
import tomli_w
from tests.conftest import CliRunner
from tests.e2e.test_backup_restore import final_workspace
from tests.unit.web.conftest import PERIOD, PRODUCERS

from pahna.calendar import JalaliMonth
from pahna.demo.scenario import demo_producers
from pahna.demo.traffic import generate_month
from pahna.store.manifests import file_sha256
from pahna.store.writer import write_batch
from pahna.workspace import CONFIG_NAME, Workspace

pytestmark = pytest.mark.slow
OPEN = str(JalaliMonth.parse(PERIOD).next())


def _retention(workspace: Workspace, **settings: object) -> None:
    path = workspace.home / CONFIG_NAME
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    data["retention"] = settings
    path.write_text(tomli_w.dumps(data), encoding="utf-8")


def _store(workspace: Workspace) -> dict[str, tuple[bool, str]]:
    """Relative path -> (is a link, sha256) of every raw flow file."""
    flows = workspace.store_dir / "flows"
    return {p.relative_to(flows).as_posix(): (p.is_symlink(), file_sha256(p))
            for p in sorted(flows.rglob("*.parquet"))}


def _days_in(period: str) -> set[str]:
    """UTC days lying wholly inside a Jalali month (Tehran time)."""
    month = JalaliMonth.parse(period)
    start = -(-month.start_ms // 86_400_000)
    return {"day=" + datetime.fromtimestamp(d * 86_400, tz=UTC).strftime("%Y-%m-%d")
            for d in range(start, month.end_ms // 86_400_000)}


def test_prune_archives_a_final_month_which_still_verifies(tmp_path: Path,
                                                           pahna_cli: CliRunner) -> None:
    workspace = final_workspace(tmp_path / "home")
    chosen = [d for d in demo_producers() if d.producer.id in PRODUCERS]
    write_batch(workspace.store_dir, generate_month(chosen, OPEN, 500), "test",
                hashlib.sha256(b"open month").hexdigest())
    old, recent = workspace.quarantine_dir / "2020-01-01", workspace.quarantine_dir / \
        datetime.now(UTC).strftime("%Y-%m-%d")
    for folder in (old, recent):
        folder.mkdir()
        (folder / "x.jsonl").write_text("{}\n", encoding="utf-8")
    archive = tmp_path / "archive"
    _retention(workspace, raw_action="archive", archive_dir=str(archive),
               raw_keep_months_after_final=0, quarantine_keep_days=30)
    home = ["--home", str(workspace.home)]
    before = _store(workspace)

    dry = pahna_cli("store", "prune", "--dry-run", *home).stdout
    assert _store(workspace) == before and old.exists() and not archive.exists()
    final_days = _days_in(PERIOD)
    expected = sorted(name for name in before if name.split("/")[0] in final_days)
    assert expected and len(expected) < len(before)
    assert [line.removeprefix("would archive store/flows/") for line in dry.splitlines()
            if line.startswith("would archive")] == expected

    pahna_cli("store", "prune", *home)
    after = _store(workspace)
    for name, (link, digest) in after.items():
        assert digest == before[name][1]
        assert link == (name in expected), name
        if link:
            assert (archive / "flows" / name).is_file()
    assert not old.exists() and recent.exists()
    assert f"{PERIOD} r1 verifies" in pahna_cli("settle", "verify", "--period", PERIOD,
                                                *home).stdout
    again = pahna_cli("store", "prune", *home).stdout
    assert "0 raw files archived" in again and _store(workspace) == after


def test_delete_frees_only_what_the_archive_holds(tmp_path: Path,
                                                   pahna_cli: CliRunner) -> None:
    workspace = final_workspace(tmp_path / "home")
    _retention(workspace, raw_action="delete", archive_dir=str(tmp_path / "empty"),
               raw_keep_months_after_final=0)
    before = _store(workspace)
    out = pahna_cli("store", "prune", "--home", str(workspace.home)).stdout
    assert "0 raw files archived" in out and "the archive does not hold it" in out
    assert _store(workspace) == before
    _retention(workspace, raw_action="archive", archive_dir=str(tmp_path / "empty"),
               raw_keep_months_after_final=600)
    assert "0 raw files archived" in pahna_cli("store", "prune", "--home",
                                              str(workspace.home)).stdout
