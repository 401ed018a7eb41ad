from __future__ import annotations

import time
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, inspect, text

from pahna.registry.claims import list_claims
from pahna.registry.database import MIGRATIONS, open_registry
from pahna.registry.producers import list_producers


def test_registry_made_before_migrations_is_upgraded(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    old = create_engine(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with old.begin() as connection:  # the skeleton's tables, as create_all left them
        config.attributes["connection"] = connection
        command.upgrade(config, "r0000")
        connection.execute(text("DROP TABLE alembic_version"))
        connection.execute(text("INSERT INTO provinces VALUES ('IR-25', 'Qom', 'قم')"))
        connection.execute(text("INSERT INTO producers VALUES ('a', 'A', '', 'IR-25', "
                                "'public_centre', NULL, NULL, 'active')"))
        connection.execute(text("INSERT INTO claims (producer_id, kind, value, valid_from_ms,"
                                " nested_approved) VALUES ('a', 'prefix', '10.0.0.0/8', 0, 0)"))
    old.dispose()
    engine = open_registry(url)
    assert {"zones", "metering_points", "domestic_lists", "alembic_version"} <= set(
        inspect(engine).get_table_names())
    assert [p.id for p in list_producers(engine)] == ["a"]
    assert [c.spec.value for c in list_claims(engine)] == ["10.0.0.0/8"]
    assert open_registry(url) is engine  # opened once per process


# The portal's tables as the first portal made them with create_all (before r0002).
OLD_PORTAL_TABLES = (
    "CREATE TABLE web_accounts (username VARCHAR(64) PRIMARY KEY, password_hash VARCHAR(200)"
    " NOT NULL, role VARCHAR(16) NOT NULL, province VARCHAR(8), producer_id VARCHAR(64))",
    "CREATE TABLE web_tokens (digest VARCHAR(64) PRIMARY KEY, username VARCHAR(64) NOT NULL,"
    " scopes VARCHAR(200) NOT NULL, label VARCHAR(100) NOT NULL, created_ms BIGINT NOT NULL)",
    "CREATE TABLE web_sessions (digest VARCHAR(64) PRIMARY KEY, username VARCHAR(64) NOT NULL,"
    " expires_ms BIGINT NOT NULL)",
    "CREATE TABLE web_disputes (id INTEGER PRIMARY KEY, producer_id VARCHAR(64) NOT NULL,"
    " period VARCHAR(7) NOT NULL, message TEXT NOT NULL, author VARCHAR(64) NOT NULL,"
    " at_ms BIGINT NOT NULL, status VARCHAR(16) NOT NULL)",
)


def _at_revision(url: str, revision: str, statements: tuple[str, ...] = ()) -> None:
    engine = create_engine(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        for statement in statements:
            connection.execute(text(statement))
    engine.dispose()


def test_r0002_upgrades_the_portal_tables_the_first_portal_made(registry_url: str) -> None:
    now_ms = int(time.time() * 1000)
    _at_revision(registry_url, "r0001a", (
        *OLD_PORTAL_TABLES,
        "INSERT INTO web_accounts VALUES ('uni', 'x', 'producer', NULL, 'qom-univ')",
        "INSERT INTO web_tokens VALUES ('ab' || 'cd', 'uni', 'read', '', 1)",
        "INSERT INTO web_disputes VALUES (1, 'qom-univ', '1404-08', 'low', 'uni', 1, 'open')"))
    engine = open_registry(registry_url)
    with engine.connect() as connection:
        token = connection.execute(text("SELECT expires_ms, revoked_ms FROM web_tokens")).one()
        dispute = connection.execute(text(
            "SELECT status, answer, answered_by FROM web_disputes")).one()
        account = connection.execute(text("SELECT disabled_ms FROM web_accounts")).one()
        failures = connection.execute(text("SELECT count(*) FROM web_login_failures")).scalar()
    assert token.revoked_ms is None  # kept, now expiring 90 days after the upgrade
    assert abs(token.expires_ms - (now_ms + 90 * 86_400_000)) < 600_000
    assert tuple(dispute) == ("open", None, None) and account.disabled_ms is None
    assert failures == 0


def test_a_new_registry_has_the_portal_tables(registry_url: str) -> None:
    engine = open_registry(registry_url)
    tables = set(inspect(engine).get_table_names())
    assert {"web_accounts", "web_tokens", "web_sessions", "web_disputes",
            "web_login_failures"} <= tables
    columns = {c["name"] for c in inspect(engine).get_columns("web_tokens")}
    assert {"expires_ms", "revoked_ms"} <= columns
