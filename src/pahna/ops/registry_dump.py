"""The registry in a backup: SQLite through its online backup API (a consistent copy
while the portal and collectors keep writing), any other database (PostgreSQL) as a
portable dump: every table's rows as JSON, with the schema revision they belong to."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, MetaData, create_engine, inspect, select, text

from pahna.errors import RegistryError
from pahna.registry.database import MIGRATIONS, open_registry

SQLITE_NAME = "registry.sqlite"
PORTABLE_NAME = "registry.json"


def dump_registry(url: str, folder: Path) -> Path:
    """Write the registry at `url` into `folder`; returns the file written."""
    engine = open_registry(url)
    if engine.dialect.name == "sqlite" and engine.url.database:
        target = folder / SQLITE_NAME
        source = sqlite3.connect(engine.url.database)
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one file, read without a -wal
        finally:
            copy.close()
            source.close()
        return target
    target = folder / PORTABLE_NAME
    target.write_text(json.dumps(_portable(engine), sort_keys=True), encoding="utf-8")
    return target


def _portable(engine: Engine) -> dict[str, Any]:
    metadata = MetaData()
    with engine.connect() as connection:
        metadata.reflect(connection)
        tables = {table.name: [dict(row._mapping) for row in connection.execute(
            select(table).order_by(*table.primary_key.columns))]
            for table in metadata.sorted_tables if table.name != "alembic_version"}
        revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return {"revision": revision, "tables": tables}


def load_registry(dump: Path, url: str) -> None:
    """Fill the empty registry at `url` from a dump (either kind), then migrate it to
    this pahna's schema. Refuses a registry that already holds producers."""
    if dump.name == SQLITE_NAME:
        data = _portable(create_engine(f"sqlite:///{dump}"))
    else:
        data = json.loads(dump.read_text(encoding="utf-8"))
    engine = create_engine(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, data["revision"])
        metadata = MetaData()
        metadata.reflect(connection)
        if connection.execute(text("SELECT count(*) FROM producers")).scalar():
            raise RegistryError(f"registry at {engine.url!r} is not empty: restore needs "
                                "an empty database (or schema)")
        for table in metadata.sorted_tables:
            rows = data["tables"].get(table.name, [])
            if table.name != "alembic_version" and rows:
                connection.execute(table.delete())
                connection.execute(table.insert(), rows)
        if engine.dialect.name == "postgresql":
            _reset_sequences(connection, metadata)
    engine.dispose()
    open_registry(url)  # to head, provinces checked


def _reset_sequences(connection: Any, metadata: MetaData) -> None:
    for table in metadata.sorted_tables:
        for column in table.primary_key.columns:
            sequence = connection.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                          {"t": table.name, "c": column.name}).scalar()
            if sequence:
                connection.execute(text(
                    f'SELECT setval(:s, coalesce((SELECT max("{column.name}") FROM '
                    f'"{table.name}"), 0) + 1, false)'), {"s": sequence})


def registry_tables(url: str) -> dict[str, int]:
    """Rows per table of the registry at `url` (what a restore is compared by)."""
    engine = open_registry(url)
    with engine.connect() as connection:
        return {name: connection.execute(text(f'SELECT count(*) FROM "{name}"')).scalar() or 0
                for name in inspect(connection).get_table_names()}
