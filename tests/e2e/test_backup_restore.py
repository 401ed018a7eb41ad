"""Backup, wipe, restore into an empty folder, verify: a final month holds after the
round trip, on SQLite and on PostgreSQL; a damaged backup is refused, naming the file."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import CliRunner
from tests.pgschema import postgres_schema
from tests.unit.web.conftest import PERIOD, PRODUCERS, TARIFF

from pahna.calendar import JalaliMonth
from pahna.config import PahnaConfig, RegistrySettings
from pahna.demo.scenario import demo_producers
from pahna.demo.traffic import generate_month
from pahna.ops.registry_dump import registry_tables
from pahna.pipeline import finalize
from pahna.registry.database import open_registry
from pahna.registry.producers import PrefixClaim, add_prefix_claim, add_producer
from pahna.store.writer import write_batch
from pahna.workspace import Workspace, init_workspace

pytestmark = pytest.mark.slow


def final_workspace(home: Path, registry_url: str = "") -> Workspace:
    """A workspace whose month PERIOD is final (registry at `registry_url`, else SQLite)."""
    workspace = init_workspace(home, PahnaConfig(registry=RegistrySettings(url=registry_url)))
    engine = open_registry(workspace.registry_url)
    start = JalaliMonth.parse("1404-01").start_ms
    chosen = [d for d in demo_producers() if d.producer.id in PRODUCERS]
    for item in chosen:
        add_producer(engine, item.producer, actor="test")
        for net in item.prefixes:
            add_prefix_claim(engine, PrefixClaim(item.producer.id, net, start, None),
                             approve_nested=True, actor="test")
    (workspace.tariffs_dir / "t.toml").write_text(TARIFF, encoding="utf-8")
    flows = generate_month(chosen, PERIOD, 2000)
    write_batch(workspace.store_dir, flows, "test", hashlib.sha256(b"backup").hexdigest())
    finalize(workspace, PERIOD)
    return workspace


@pytest.fixture(params=["sqlite", "postgresql"])
def registry_url(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "sqlite":
        yield ""
        return
    with postgres_schema() as url:
        yield url


def _wipe_registry(url: str) -> None:
    engine = open_registry(url)
    with engine.begin() as connection:
        for name in reversed(list(registry_tables(url))):
            connection.exec_driver_sql(f'DROP TABLE IF EXISTS "{name}" CASCADE')
    engine.dispose()


def test_backup_wipe_restore_verify(registry_url: str, tmp_path: Path,
                                    pahna_cli: CliRunner) -> None:
    workspace = final_workspace(tmp_path / "home", registry_url)
    before = registry_tables(workspace.registry_url)
    backup = tmp_path / "backup"
    pahna_cli("backup", "--to", str(backup), "--home", str(workspace.home))
    flows = tmp_path / "flows-kept"
    shutil.move(workspace.store_dir / "flows", flows)  # the raw store lives elsewhere
    shutil.rmtree(workspace.home)
    args = ["restore", "--from", str(backup), "--home", str(tmp_path / "new"),
            "--store-flows", str(flows)]
    if registry_url:
        _wipe_registry(registry_url)
        args += ["--registry-url", registry_url]
    pahna_cli(*args)
    result = pahna_cli("settle", "verify", "--period", PERIOD, "--home", str(tmp_path / "new"))
    assert f"{PERIOD} r1 verifies" in result.stdout, result.stdout
    restored = registry_tables(registry_url or f"sqlite:///{tmp_path / 'new' / 'registry.sqlite'}")
    assert restored == before


def test_a_damaged_backup_is_refused_naming_the_file(tmp_path: Path,
                                                     pahna_cli: CliRunner) -> None:
    workspace = final_workspace(tmp_path / "home")
    backup = tmp_path / "backup"
    pahna_cli("backup", "--to", str(backup), "--with-store", "--home", str(workspace.home))
    final = next((backup / "files" / "ledger").rglob("final-*.json"))
    final.chmod(0o644)
    final.write_bytes(final.read_bytes().replace(b'"', b"'", 1))
    result = pahna_cli("restore", "--from", str(backup), "--home", str(tmp_path / "new"),
                       check=False)
    assert result.returncode != 0
    assert f"damaged backup: {final.relative_to(backup).as_posix()}" in result.stderr
    assert not (tmp_path / "new").exists()


def test_restoring_into_a_registry_in_use_is_refused_and_leaves_nothing(
        tmp_path: Path, pahna_cli: CliRunner) -> None:
    workspace = final_workspace(tmp_path / "home")
    backup = tmp_path / "backup"
    pahna_cli("backup", "--to", str(backup), "--home", str(workspace.home))
    new = tmp_path / "new"
    new.mkdir()
    result = pahna_cli("restore", "--from", str(backup), "--home", str(new),
                       "--registry-url", workspace.registry_url, check=False)
    assert result.returncode != 0 and "is not empty: restore needs an empty" in result.stderr
    assert list(new.iterdir()) == []
