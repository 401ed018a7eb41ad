"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from pahna.workspace import Workspace, init_workspace

REPO = Path(__file__).resolve().parent.parent


def shared_path() -> Path:
    """../shared beside the checkout, or $PAHNA_SHARED."""
    return Path(os.environ.get("PAHNA_SHARED", REPO.parent / "shared")).resolve()


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The read-only shared material (captures, address data); skips when absent."""
    path = shared_path()
    if not path.is_dir():
        pytest.skip(f"shared material not found at {path} (set PAHNA_SHARED)")
    return path


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    """A fresh, empty workspace."""
    return init_workspace(tmp_path / "home")


CliRunner = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def pahna_cli() -> CliRunner:
    """Run the real `pahna` command in a subprocess: pahna_cli("usage", "--period", ...)."""

    def run(*args: str, check: bool = True, timeout: float = 120,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "pahna", *args], capture_output=True, text=True,
            timeout=timeout, env={**os.environ, **(env or {})}, cwd=REPO,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"pahna {' '.join(args)} exited {result.returncode}\n"
                f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}")
        return result

    return run
