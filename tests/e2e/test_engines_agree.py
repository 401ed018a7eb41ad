"""Through the CLI: a generated month (with exchange traffic: received bytes, AS claims,
metering points) settles to the same bytes on DuckDB and Spark (local mode; a
standalone cluster: test_spark_cluster.py)."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pytest
import tomli_w
from sqlalchemy import update
from sqlalchemy.orm import Session
from tests.conftest import CliRunner
from tests.exchange import add_exchange

from pahna.calendar import JalaliMonth
from pahna.registry.database import open_registry
from pahna.registry.models import ClaimRow
from pahna.workspace import open_workspace

pytestmark = pytest.mark.slow
PERIOD = "1404-08"


def statements(home: Path) -> dict[str, bytes]:
    folder = home / "statements" / PERIOD
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_usage_and_settlement_are_identical_on_both_engines(
        pahna_cli: CliRunner, tmp_path: Path) -> None:
    home = tmp_path / "home"
    made = pahna_cli("bench", "generate", "--flows", "30000", "--chunk-rows", "5000",
                     "--seed", "11", "--home", str(home))
    assert "30,000 flows of 1404-08" in made.stdout
    add_exchange(open_workspace(home), PERIOD)  # received, AS claims, metering points
    config = tomllib.loads((home / "pahna.toml").read_text())
    config["aggregate"]["spark"].update(master="local[2]", shuffle_partitions=2)
    (home / "pahna.toml").write_text(tomli_w.dumps(config))

    usage = {engine: json.loads(pahna_cli("usage", "--period", PERIOD, "--json", "--engine",
                                          engine, "--home", str(home), timeout=600).stdout)
             for engine in ("duckdb", "spark")}
    # what metering points kept out is counted by DuckDB only (docs/registry.md)
    assert usage["spark"].pop("metering_dropped") is None
    assert usage["duckdb"].pop("metering_dropped")
    assert usage["spark"] == usage["duckdb"]
    assert len(usage["duckdb"]["usage"]) > 30

    settled = {}
    for engine in ("duckdb", "spark"):
        shutil.rmtree(home / "statements" / PERIOD, ignore_errors=True)
        out = pahna_cli("settle", "--period", PERIOD, "--json", "--engine", engine,
                        "--home", str(home), timeout=600).stdout
        settled[engine] = (json.loads(out), statements(home))
    # the settlement as JSON (its content hash included, where it carries one) and every
    # statement file, byte for byte
    assert settled["spark"] == settled["duckdb"]
    assert len(settled["duckdb"][1]) > 30

    # finalize the same month on each engine, in two copies of the workspace: the seals'
    # content hashes are equal, and each engine verifies the other's final
    hashes = {}
    for engine in ("duckdb", "spark"):
        copy = tmp_path / f"final-{engine}"
        shutil.copytree(home, copy)
        shutil.rmtree(copy / "statements" / PERIOD, ignore_errors=True)
        out = pahna_cli("settle", "finalize", "--period", PERIOD, "--json", "--engine", engine,
                        "--home", str(copy), timeout=600).stdout
        hashes[engine] = json.loads(out)["content_hash"]
    assert hashes["spark"] == hashes["duckdb"]
    # later registry activity, even what no door allows (every claim moved past the
    # month, straight in SQL): both engines still replay the final from its basis
    copy = tmp_path / "final-spark"
    engine = open_registry(f"sqlite:///{copy / 'registry.sqlite'}")
    with Session(engine) as session:
        session.execute(update(ClaimRow).values(valid_from_ms=JalaliMonth(1405, 1).start_ms))
        session.commit()
    engine.dispose()
    for engine_name in ("duckdb", "spark"):
        checked = pahna_cli("settle", "verify", "--period", PERIOD, "--engine", engine_name,
                            "--home", str(copy), timeout=600).stdout
        assert "verifies" in checked and hashes["spark"] in checked
        assert "registry_version was" in checked
