"""Migration r0010 adds the grant board's table and takes it away again, on SQLite and
PostgreSQL; a registry made before it is upgraded with its data intact."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect
from tests.pgschema import postgres_schema

from pahna.registry.database import MIGRATIONS, open_registry
from pahna.registry.producers import list_zones


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        yield open_registry(f"sqlite:///{tmp_path / 'r.sqlite'}")
        return
    with postgres_schema() as url:
        made = open_registry(url)
        yield made
        made.dispose()


def run(engine: Engine, verb: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, verb)(config, revision)


def test_r0010_up_and_down(engine: Engine) -> None:
    assert "grant_revisions" in inspect(engine).get_table_names()
    zones = list_zones(engine)
    run(engine, "downgrade", "r0003")
    assert "grant_revisions" not in inspect(engine).get_table_names()
    run(engine, "upgrade", "head")
    columns = {c["name"] for c in inspect(engine).get_columns("grant_revisions")}
    assert columns == {"seq", "kind", "entity_id", "revision", "at_ms", "actor", "credential",
                       "reason", "body", "prev_hash", "hash"}
    assert list_zones(engine) == zones
