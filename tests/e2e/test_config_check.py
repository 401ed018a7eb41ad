"""`pahna config check` says what is wrong with a workspace, changes nothing, exits 78 on a
failure; the registry's password can come from a file or the environment and is never
shown."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from tests.conftest import CliRunner
from tests.e2e.test_backup_restore import final_workspace
from tests.pgschema import postgres_schema

from pahna.config import PahnaConfig, RegistrySettings
from pahna.ops.check import head_revision
from pahna.registry.database import open_registry
from pahna.store.manifests import read_manifests
from pahna.workspace import init_workspace

pytestmark = pytest.mark.slow


def _lines(output: str) -> dict[str, str]:
    return {line.split()[1]: line.split()[0] for line in output.splitlines()}


def test_a_fresh_workspace_checks_and_is_left_as_it_was(tmp_path: Path,
                                                        pahna_cli: CliRunner) -> None:
    workspace = init_workspace(tmp_path / "home")
    before = sorted(p.name for p in workspace.home.iterdir())
    result = pahna_cli("config", "check", "--home", str(workspace.home))
    assert _lines(result.stdout) == {"settings": "ok", "registry": "ok", "store": "ok",
                                     "retention": "ok"}
    assert sorted(p.name for p in workspace.home.iterdir()) == before


def test_an_old_schema_a_missing_raw_file_and_bad_settings_fail(
        tmp_path: Path, pahna_cli: CliRunner) -> None:
    workspace = final_workspace(tmp_path / "home")
    home = ["--home", str(workspace.home)]
    assert _lines(pahna_cli("config", "check", *home).stdout)["registry"] == "ok"
    with open_registry(workspace.registry_url).begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'r0002'"))
    first = read_manifests(workspace.store_dir)[0].files[0].path
    (workspace.store_dir / first).unlink()
    result = pahna_cli("config", "check", *home, check=False)
    assert result.returncode == 78
    assert _lines(result.stdout) == {"settings": "ok", "registry": "FAILED",
                                     "store": "FAILED", "retention": "ok"}
    assert f"schema at r0002, this pahna expects {head_revision()}" in result.stdout
    assert f"first store/{first}" in result.stdout
    (workspace.home / "pahna.toml").write_text("[retention]\nraw_acton = 'keep'\n",
                                               encoding="utf-8")
    result = pahna_cli("config", "check", *home, check=False)
    assert result.returncode == 78 and "[retention.raw_acton]" in result.stdout


def test_the_registry_password_from_a_file_or_the_environment(
        tmp_path: Path, pahna_cli: CliRunner) -> None:
    with postgres_schema() as url:
        parsed = make_url(url)
        password = parsed.password
        assert password
        bare = parsed.set(password=None).render_as_string(hide_password=False)
        workspace = init_workspace(tmp_path / "home", PahnaConfig(
            registry=RegistrySettings(url=bare, password_file="registry.password")))
        home = ["--home", str(workspace.home)]
        failed = pahna_cli("config", "check", *home, check=False)
        assert failed.returncode == 78 and "registry.password" in failed.stdout
        (workspace.home / "registry.password").write_text(f"{password}\n", encoding="utf-8")
        pahna_cli("registry", "list", *home)  # made and migrated
        result = pahna_cli("config", "check", *home)
        assert _lines(result.stdout)["registry"] == "ok", result.stdout
        assert f":{password}@" not in result.stdout and ":***@" in result.stdout
        (workspace.home / "pahna.toml").write_text(
            (workspace.home / "pahna.toml").read_text(encoding="utf-8").replace(
                'password_file = "registry.password"', 'password_file = ""'), encoding="utf-8")
        env = {"PAHNA_REGISTRY_URL": bare, "PAHNA_REGISTRY_PASSWORD": password}
        assert _lines(pahna_cli("config", "check", *home, env=env).stdout)["registry"] == \
            "ok"
        wrong = pahna_cli("config", "check", *home, check=False,
                          env={"PAHNA_REGISTRY_PASSWORD": "not-it"})
        assert wrong.returncode == 78 and "not-it" not in wrong.stdout + wrong.stderr
