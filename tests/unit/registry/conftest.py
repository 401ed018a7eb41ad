"""The registry URL fixture: every registry test runs on SQLite and on a real
PostgreSQL server (`./run test` starts one and sets PAHNA_TEST_POSTGRES_URL)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from pahna.registry.database import open_registry


@pytest.fixture(params=["sqlite", "postgresql"])
def registry_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'registry.sqlite'}"
        return
    base = os.environ.get("PAHNA_TEST_POSTGRES_URL")
    if not base:
        if os.environ.get("PAHNA_REQUIRE_POSTGRES"):
            pytest.fail("PAHNA_REQUIRE_POSTGRES is set but PAHNA_TEST_POSTGRES_URL is not: "
                        "no PostgreSQL server to test against")
        pytest.skip("PostgreSQL not configured: set PAHNA_TEST_POSTGRES_URL "
                    "(./run test starts a server and sets it)")
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{base}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def registry(registry_url: str) -> Iterator[Engine]:
    engine = open_registry(registry_url)
    yield engine
    engine.dispose()
