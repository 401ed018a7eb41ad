"""Finalize under races and crashes, with real processes: two finalizes of one month at
once give one final and one clear error; SIGKILL anywhere in a finalize leaves either no
final or a complete one (statements whole, verifying), after which the month finalizes
again; `statements rebuild` repairs a final's missing files."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.conftest import REPO, CliRunner
from tests.unit.web.conftest import PERIOD, build_workspace

from pahna.ledger.book import Ledger
from pahna.rebuilding import rebuild_statements
from pahna.registry.closures import closed_periods
from pahna.registry.database import open_registry
from pahna.verification import verify
from pahna.workspace import Workspace, open_workspace

pytestmark = pytest.mark.slow
FINALIZE = [sys.executable, "-m", "pahna", "settle", "finalize", "--period", PERIOD]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_workspace(tmp_path_factory.mktemp("crash") / "home").home


def fresh(template: Path, where: Path) -> Workspace:
    shutil.copytree(template, where)
    return open_workspace(where)


def start(home: Path, code: str | None = None) -> subprocess.Popen[str]:
    args = [sys.executable, "-c", code, str(home)] if code else [*FINALIZE, "--home", str(home)]
    return subprocess.Popen(args, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def assert_whole(workspace: Workspace) -> str:
    """No final, or one complete final: statements whole and the month verifying."""
    ledger = Ledger(workspace.home)
    if not ledger.revisions(PERIOD):
        assert ledger.active_revision(PERIOD) is None
        return "none"
    assert ledger.revisions(PERIOD) == [1]
    record = ledger.final(PERIOD)
    folder = workspace.statements_dir(PERIOD) / "final-r1"
    names = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    producers = {ln["producer_id"] for ln in record["settlement"]["lines"]}
    assert names == {f"statements/{p}/statement.{ext}" for p in producers
                     for ext in ("csv", "html")} | {
        "summary.csv", "summary.html", "provinces.csv"}
    assert rebuild_statements(workspace, PERIOD)[1] == []  # byte for byte as sealed
    assert verify(workspace, PERIOD)[0] == []
    return "final"


def test_two_finalizes_at_once_one_final_one_clear_error(template: Path,
                                                         tmp_path: Path) -> None:
    """Regression: a portal and a CLI finalize at once both wrote revision 1."""
    workspace = fresh(template, tmp_path / "home")
    runs = [start(workspace.home) for _ in range(2)]
    results = [(run.wait(timeout=300), *run.communicate()) for run in runs]
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 65], results
    (loser,) = [err for code, _, err in results if code == 65]
    assert "is busy with finalize (pid" in loser or "1404-08 is final (revision 1)" in loser
    assert Ledger(workspace.home).revisions(PERIOD) == [1]
    assert assert_whole(workspace) == "final"


def test_sigkill_anywhere_in_finalize_leaves_no_final_or_a_whole_one(
        template: Path, tmp_path: Path, pahna_cli: CliRunner) -> None:
    timing = fresh(template, tmp_path / "timing")
    began = time.monotonic()
    assert start(timing.home).wait(timeout=300) == 0
    took = time.monotonic() - began
    seen = set()
    chosen = random.Random(11)
    for n in range(8):
        workspace = fresh(template, tmp_path / f"kill-{n}")
        run = start(workspace.home)
        time.sleep(took * (0.15 + 0.95 * chosen.random()))
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=60)
        seen.add(assert_whole(workspace))
        home = ["--home", str(workspace.home)]
        pahna_cli("settle", "status", "--period", PERIOD, *home)  # reopens a stale closing
        if Ledger(workspace.home).active_revision(PERIOD) is None:
            assert closed_periods(open_registry(workspace.registry_url)) == []
            pahna_cli("settle", "finalize", "--period", PERIOD, *home)
        assert assert_whole(workspace) == "final"
    assert "none" in seen


def test_sigkill_after_the_statements_before_the_record(template: Path, tmp_path: Path,
                                                        pahna_cli: CliRunner) -> None:
    """The narrowest window, held open on purpose: statements published, final record not
    yet written. No final is in force, the month finalizes again, and the statements then
    shown are the sealed ones."""
    workspace = fresh(template, tmp_path / "home")
    code = ("import sys, time; from pathlib import Path\n"
            "from pahna.ledger.book import Ledger\n"
            "from pahna.settlement import finalize\n"
            "from pahna.workspace import open_workspace\n"
            "def hold(*args, **kwargs):\n"
            "    print('published', flush=True); time.sleep(120)\n"
            "Ledger.write_final = hold\n"
            "finalize(open_workspace(Path(sys.argv[1])), '1404-08')\n")
    run = start(workspace.home, code)
    assert run.stdout is not None and run.stdout.readline().strip() == "published"
    assert (workspace.statements_dir(PERIOD) / "final-r1" / "summary.csv").is_file()
    run.send_signal(signal.SIGKILL)
    run.wait(timeout=60)
    assert assert_whole(workspace) == "none"
    assert [c.period for c in closed_periods(open_registry(workspace.registry_url))] == [
        PERIOD]  # closed, without a final: the registry refuses, saying how to reopen
    refused = pahna_cli("registry", "add-claim", "qom-tv", "10.90.0.0/16", "--from",
                        "1404-08-01", "--home", str(workspace.home), check=False)
    assert refused.returncode == 65 and "settle status --period 1404-08" in refused.stderr
    pahna_cli("settle", "finalize", "--period", PERIOD, "--home", str(workspace.home))
    assert assert_whole(workspace) == "final"


def test_statements_rebuild_repairs_missing_files(template: Path, tmp_path: Path,
                                                  pahna_cli: CliRunner) -> None:
    """Regression: a final with missing statement files could not be repaired."""
    workspace = fresh(template, tmp_path / "home")
    home = ["--home", str(workspace.home)]
    pahna_cli("settle", "finalize", "--period", PERIOD, *home)
    folder = workspace.statements_dir(PERIOD) / "final-r1"
    def files() -> dict[str, bytes]:
        return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*")
                if p.is_file()}

    sealed = files()
    for name in ("summary.csv", "statements/qom-tv/statement.html"):
        os.unlink(folder / name)
    out = pahna_cli("statements", "rebuild", "--period", PERIOD, *home).stdout
    assert "repaired: statements/qom-tv/statement.html, summary.csv" in out
    assert files() == sealed
    assert all(oct(p.stat().st_mode & 0o777) == oct(0o444) for p in folder.rglob("*")
               if p.is_file())
    events = [e for e in Ledger(workspace.home).events() if e["action"] == "statements rebuild"]
    assert events[-1]["repaired"] == ["statements/qom-tv/statement.html", "summary.csv"]
