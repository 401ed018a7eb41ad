"""Migrations run only by `pahna migrate`, which backs the workspace up first; every
other command refuses a registry at an older (or unknown, newer) schema revision, with a
message naming both revisions. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, text
from tests.pgschema import postgres_schema

from pahna.cli import main
from pahna.config import PahnaConfig, RegistrySettings
from pahna.registry.database import MIGRATIONS, head_revision
from pahna.workspace import init_workspace

OLD = "r0003"


@pytest.fixture(params=["sqlite", "postgresql"])
def old_home(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path]:
    """A workspace whose registry an older pahna made (schema r0003), with a producer."""
    home = tmp_path / "home"
    if request.param == "sqlite":
        init_workspace(home)
        url = f"sqlite:///{home / 'registry.sqlite'}"
        _old_registry(url)
        yield home
        return
    with postgres_schema() as url:
        init_workspace(home, PahnaConfig(registry=RegistrySettings(url=url)))
        _old_registry(url)
        yield home


def _old_registry(url: str) -> None:
    engine = create_engine(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, OLD)
        connection.execute(text("INSERT INTO provinces VALUES ('IR-25', 'Qom', 'قم')"))
        connection.execute(text("INSERT INTO producers (id, name, name_fa, province, type, "
                                "status) VALUES ('qom-tv', 'Qom TV', '', 'IR-25', "
                                "'public_centre', 'active')"))
    engine.dispose()


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def backed_up_revision(backup: Path) -> str:
    if (backup / "registry.json").exists():
        return str(json.loads((backup / "registry.json").read_text())["revision"])
    with sqlite3.connect(backup / "registry.sqlite") as connection:
        return str(connection.execute("SELECT version_num FROM alembic_version").fetchone()[0])


def test_commands_refuse_an_old_schema_until_migrate_backs_up_and_migrates(
        old_home: Path, tmp_path: Path) -> None:
    home = ("--home", str(old_home))
    head = head_revision()
    for args in (("registry", "list", *home), ("serve", *home, "--port", "0")):
        refused = run(*args)
        assert refused.exit_code == 78, refused.output
        assert f"schema at {OLD}, this pahna expects {head}" in refused.output
        assert "pahna migrate" in refused.output
    backup = tmp_path / "before"
    migrated = run("migrate", "--backup-to", str(backup), *home)
    assert migrated.exit_code == 0, migrated.output
    assert f"migrated from {OLD} to {head}" in migrated.output
    assert backed_up_revision(backup) == OLD  # the backup holds the registry as it was
    assert (backup / "backup.json").exists()
    listed = run("registry", "list", "--json", *home)
    assert listed.exit_code == 0, listed.output
    assert "qom-tv" in listed.output
    again = run("migrate", *home)
    assert again.exit_code == 0 and "already at" in again.output
    assert not (old_home / "backups").exists()
    (old_home / "store" / "flows").mkdir(exist_ok=True)  # no flows yet, referred to
    restored = run("restore", "--from", str(backup), "--home", str(tmp_path / "restored"),
                   "--registry-url", f"sqlite:///{tmp_path / 'restored.sqlite'}")
    assert restored.exit_code == 0, restored.output  # an old backup comes back migrated
    assert "qom-tv" in run("registry", "list", "--json", "--home",
                           str(tmp_path / "restored")).output


def test_a_schema_newer_than_this_pahna_is_refused_even_by_migrate(tmp_path: Path) -> None:
    home = tmp_path / "home"
    init_workspace(home)
    made = run("migrate", "--home", str(home))  # an empty registry: made, no backup
    assert made.exit_code == 0 and "migrated from empty" in made.output, made.output
    assert not (home / "backups").exists()
    with sqlite3.connect(home / "registry.sqlite") as connection:
        connection.execute("UPDATE alembic_version SET version_num = 'r9999'")
    for args in (("registry", "list"), ("migrate",)):
        refused = run(*args, "--home", str(home))
        assert refused.exit_code == 78, refused.output
        assert "schema at r9999, newer than this pahna knows" in refused.output
