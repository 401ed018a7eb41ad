"""Open the registry database: migrate it to the current schema (Alembic) and make sure
the 31 provinces are there. SQLite by default; any SQLAlchemy URL (PostgreSQL through
psycopg: ``postgresql+psycopg://...``) works the same."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, inspect, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from pahna.errors import RegistryError
from pahna.registry.models import ProvinceRow
from pahna.registry.provinces import PROVINCES

MIGRATIONS = Path(__file__).with_name("migrations")
SKELETON = "r0000"
"""The revision matching registries made before migrations existed."""


def open_registry(url: str) -> Engine:
    """An engine on the registry at `url`, migrated to head, provinces in place."""
    return _open(url)


@cache
def _open(url: str) -> Engine:
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
    try:
        migrate(engine)
        _seed_provinces(engine)
    except SQLAlchemyError as exc:
        raise RegistryError(f"registry at {engine.url!r}: {exc}") from exc
    return engine


def migrate(engine: Engine) -> None:
    """Run every migration not yet applied."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        tables = set(inspect(connection).get_table_names())
        if "provinces" in tables and "alembic_version" not in tables:
            command.stamp(config, SKELETON)  # made by create_all before migrations
        command.upgrade(config, "head")


def _seed_provinces(engine: Engine) -> None:
    with Session(engine) as session:
        have = set(session.scalars(select(ProvinceRow.code)))
        session.add_all(
            ProvinceRow(code=p.code, name_en=p.name_en, name_fa=p.name_fa)
            for p in PROVINCES
            if p.code not in have
        )
        session.commit()


SQLITE_BUSY_TIMEOUT_MS = 30_000
"""How long a SQLite writer waits for another's transaction (the portal's, the CLI's) to
end before it gives up with "database is locked"."""


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    """Foreign keys on; the write-ahead log; a busy timeout, so that two processes (the
    portal, the CLI) writing at once wait for each other in turn instead of failing.
    Transactions are begun by `_sqlite_begin_immediate`, not by the driver."""
    dbapi_connection.isolation_level = None  # type: ignore[attr-defined]
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "memory":
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _sqlite_begin_immediate(connection: Connection) -> None:
    """Take the write lock when a transaction begins: a transaction that read first and
    wrote later would otherwise fail at once ("database is locked", whatever the busy
    timeout) when another process wrote in between; this way it waits its turn."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")
