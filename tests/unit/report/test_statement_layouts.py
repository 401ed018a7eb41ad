"""A final keeps the CSV layout it was sealed with: `statements rebuild` of a final
written before a column was added rewrites its files byte for byte (the fixture is the
output of the code of that time, not of today's), while new finals are written, and
sealed, in today's layout."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from pahna.cli import main
from pahna.errors import LedgerError
from pahna.rebuilding import rebuild_statements
from pahna.report.statements import CSV_LAYOUT, CSV_LAYOUTS, final_layout
from pahna.workspace import init_workspace

OLD = Path(__file__).parent / "final_before_layouts"
PERIOD = "1404-08"


def test_an_older_final_rebuilds_byte_for_byte_in_its_own_layout(tmp_path: Path) -> None:
    workspace = init_workspace(tmp_path / "home")
    shutil.copytree(OLD / "ledger", workspace.home / "ledger")
    folder = workspace.statements_dir(PERIOD) / "final-r1"
    shutil.copytree(OLD / "statements" / PERIOD / "final-r1", folder)
    (folder / "statements" / "qom-tv" / "statement.csv").unlink()  # lost: written again
    paths, repaired = rebuild_statements(workspace, PERIOD)
    assert repaired == ["statements/qom-tv/statement.csv"]
    expected = sorted(p.relative_to(OLD / "statements" / PERIOD / "final-r1").as_posix()
                      for p in (OLD / "statements" / PERIOD / "final-r1").rglob("*")
                      if p.is_file())
    assert sorted(p.relative_to(folder).as_posix() for p in paths) == expected
    for name in expected:
        assert (folder / name).read_bytes() == (
            OLD / "statements" / PERIOD / "final-r1" / name).read_bytes(), name
    header = (folder / "summary.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.split(",") == list(CSV_LAYOUTS[1])
    assert "client_centric_minor" not in header and CSV_LAYOUT != 1


def test_an_older_final_is_exported_in_its_own_layout(tmp_path: Path) -> None:
    workspace = init_workspace(tmp_path / "home")
    shutil.copytree(OLD / "ledger", workspace.home / "ledger")
    out = tmp_path / "export"
    result = CliRunner().invoke(main, ["statements", "export", "--period", PERIOD,
                                       "--out", str(out), "--home", str(workspace.home)])
    assert result.exit_code == 0, result.output
    old = OLD / "statements" / PERIOD / "final-r1"
    for name in ("summary.csv", "statements/qom-tv/statement.csv", "provinces.csv"):
        assert (out / name).read_bytes() == (old / name).read_bytes(), name


def test_a_final_names_its_layout_and_an_unknown_one_is_refused() -> None:
    assert final_layout({"seal": {"inputs": {}}}) == 1  # sealed before layouts
    assert final_layout({"seal": {"inputs": {"statement_layout": 2}}}) == 2
    assert CSV_LAYOUTS[2][:len(CSV_LAYOUTS[1])] == CSV_LAYOUTS[1]
    with pytest.raises(LedgerError, match="statement layout 9 is unknown"):
        final_layout({"revision": 3, "seal": {"inputs": {"statement_layout": 9}}})
