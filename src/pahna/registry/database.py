"""Open the registry database, at the schema this pahna expects, provinces in place.
SQLite by default; any SQLAlchemy URL (PostgreSQL through psycopg:
``postgresql+psycopg://...``) works the same.

Migrations run only through `pahna migrate` (which backs the workspace up first:
:func:`upgrade_registry`). Any other command refuses a registry at another schema
revision (older, or newer than this pahna knows) with :class:`SchemaError`, naming both
revisions; an empty database (a new workspace, a new PostgreSQL schema) is created at
the newest revision, there being nothing in it to migrate.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, inspect, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from pahna.errors import RegistryError, SchemaError
from pahna.registry.models import ProvinceRow
from pahna.registry.provinces import PROVINCES

MIGRATIONS = Path(__file__).with_name("migrations")
SKELETON = "r0000"
"""The revision matching registries made before migrations existed."""
BEFORE_MIGRATIONS = "before-migrations"
"""How a registry made before migrations existed (tables, no revision) is named."""


def open_registry(url: str) -> Engine:
    """An engine on the registry at `url` (opened once per process), at the newest schema
    revision, provinces in place; SchemaError when it is at another revision."""
    return _open(url)


@cache
def _open(url: str) -> Engine:
    engine = registry_engine(url)
    try:
        current, head = schema_revision(engine), head_revision()
        if current is None:
            migrate(engine)  # a new, empty registry: made at head
        elif current != head:
            engine.dispose()
            raise SchemaError(outdated_message(engine, current, head))
        _seed_provinces(engine)
    except SQLAlchemyError as exc:
        raise RegistryError(f"registry at {engine.url!r}: {exc}") from exc
    return engine


def registry_engine(url: str) -> Engine:
    """An engine on `url` with pahna's SQLite settings, whatever its schema (for backups,
    checks and migrating)."""
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def head_revision() -> str:
    """The registry schema revision this pahna's migrations end at."""
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    if head is None:
        raise RegistryError(f"{MIGRATIONS}: no migrations")
    return head


def schema_revision(engine: Engine) -> str | None:
    """The registry's schema revision; BEFORE_MIGRATIONS for one made before migrations
    existed; None for an empty database."""
    with engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
        if "alembic_version" not in tables:
            return BEFORE_MIGRATIONS if "provinces" in tables else None
        return MigrationContext.configure(connection).get_current_revision() or None


def outdated_message(engine: Engine, current: str, head: str) -> str:
    where = engine.url.render_as_string(hide_password=True)
    if current != BEFORE_MIGRATIONS and not _known(current):
        return (f"registry at {where}: schema at {current}, newer than this pahna knows "
                f"(its newest is {head}): run the pahna that made it")
    return (f"registry at {where}: schema at {current}, this pahna expects {head}: run "
            "`pahna migrate` (it backs the workspace up first), with the portal and the "
            "other commands stopped")


def _known(revision: str) -> bool:
    try:
        return ScriptDirectory(str(MIGRATIONS)).get_revision(revision) is not None
    except Exception:  # alembic raises several kinds for an unknown revision
        return False


def upgrade_registry(url: str) -> tuple[str | None, str]:
    """Migrate the registry at `url` to the newest revision (`pahna migrate`, after its
    backup); returns (the revision before, the one after)."""
    engine = registry_engine(url)
    try:
        before, head = schema_revision(engine), head_revision()
        if before not in (None, BEFORE_MIGRATIONS) and not _known(before):
            raise SchemaError(outdated_message(engine, before, head))
        migrate(engine)
        _seed_provinces(engine)
    except SQLAlchemyError as exc:
        raise RegistryError(f"registry at {engine.url!r}: {exc}") from exc
    finally:
        engine.dispose()
    _open.cache_clear()
    return before, head


def migrate(engine: Engine) -> None:
    """Run every migration not yet applied (call through :func:`upgrade_registry`)."""
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
    Transactions are begun by `_sqlite_begin`, not by the driver."""
    dbapi_connection.isolation_level = None  # type: ignore[attr-defined]
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "memory":
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


_READ_ONLY: ContextVar[bool] = ContextVar("pahna_registry_read_only", default=False)


@contextmanager
def read_only_transactions() -> Iterator[None]:
    """Transactions begun inside (in this context: this thread, this request) only read:
    on SQLite they begin deferred and wait for no writer (the portal's GET requests)."""
    token = _READ_ONLY.set(True)
    try:
        yield
    finally:
        _READ_ONLY.reset(token)


def _sqlite_begin(connection: Connection) -> None:
    """Take the write lock when a transaction begins: a transaction that read first and
    wrote later would otherwise fail at once ("database is locked", whatever the busy
    timeout) when another process wrote in between; this way it waits its turn. Inside
    `read_only_transactions` the transaction begins deferred: reads see the last commit
    (the write-ahead log) without queueing for the write lock behind other readers."""
    connection.exec_driver_sql("BEGIN" if _READ_ONLY.get() else "BEGIN IMMEDIATE")
