from __future__ import annotations

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
