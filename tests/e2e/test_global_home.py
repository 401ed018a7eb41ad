"""`pahna --home DIR COMMAND`: the workspace named before the command, as the top-level
help says; a --home after the command wins; $PAHNA_HOME when neither is given."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.mark.slow
def test_home_before_the_command(pahna_cli, tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    assert "created workspace" in pahna_cli("--home", str(first), "init").stdout.lower()
    pahna_cli("init", "--home", str(second))
    pahna_cli("--home", str(first), "tariff", "import", str(_tariff(tmp_path)))
    assert list((first / "tariffs").glob("*.toml")) and not list(
        (second / "tariffs").glob("*.toml"))
    usage = pahna_cli("--home", str(first), "usage", "--period", "1404-08", "--json")
    assert '"period": "1404-08"' in usage.stdout
    pahna_cli("--home", str(first), "tariff", "import", "--home", str(second),
              str(_tariff(tmp_path)))  # after the command wins
    assert list((second / "tariffs").glob("*.toml"))
    from_env = pahna_cli("usage", "--period", "1404-08", env={"PAHNA_HOME": str(first)})
    assert from_env.returncode == 0
    missing = pahna_cli("--home", str(tmp_path / "nowhere"), "usage", "--period", "1404-08",
                        check=False)
    assert missing.returncode == 66 and "nowhere" in missing.stderr
    assert "--home" in pahna_cli("--help").stdout


def _tariff(folder: Path) -> Path:
    path = folder / "tariff.toml"
    path.write_text(TARIFF, encoding="utf-8")
    return path


TARIFF = """
id = "flat"
version = 1
valid_from = "1404-01"
currency = "IRR"
pool_minor = 1000000

[volume]
model = "flat"
rate_per_gb = "1000"
billed_classes = ["domestic"]
"""
