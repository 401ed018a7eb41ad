"""The systemd units under deploy/systemd: `systemd-analyze verify` finds nothing to say
(where the tool exists; where not, the test is skipped and says so), they keep the
hardening options, and their command lines are ones `pahna` accepts."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

from pahna.cli import main

UNITS = sorted((Path(__file__).resolve().parents[2] / "deploy" / "systemd").glob("*.service"))
INSTALLED = "/opt/pahna/bin/pahna"
HARDENING = ("NoNewPrivileges=true", "ProtectSystem=strict", "ProtectHome=true",
             "PrivateTmp=true", "CapabilityBoundingSet=", "ReadWritePaths=/srv/pahna",
             "SystemCallFilter=@system-service", "User=pahna")


def _exec_start(unit: Path) -> list[str]:
    line = next(x for x in unit.read_text(encoding="utf-8").splitlines()
                if x.startswith("ExecStart="))
    return shlex.split(line.removeprefix("ExecStart="))


def test_units_for_collect_and_serve_are_hardened() -> None:
    assert [u.name for u in UNITS] == ["pahna-collect.service", "pahna-serve.service"]
    for unit in UNITS:
        lines = unit.read_text(encoding="utf-8").splitlines()
        assert all(option in lines for option in HARDENING), unit.name
        program, *args = _exec_start(unit)
        assert program == INSTALLED
        assert args[0] == unit.stem.removeprefix("pahna-")
        command = main.get_command(click.Context(main), args[0])
        assert command is not None
        command.make_context(args[0], args[1:])  # refuses an unknown option


def test_systemd_analyze_verify_passes(tmp_path: Path) -> None:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed here: the units were not verified")
    pahna = Path(sys.executable).with_name("pahna")
    for unit in UNITS:  # the installed path made this environment's pahna
        (tmp_path / unit.name).write_text(unit.read_text(encoding="utf-8").replace(
            INSTALLED, str(pahna)), encoding="utf-8")
    result = subprocess.run([tool, "verify", "--man=no", *sorted(tmp_path.iterdir())],
                            capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr
