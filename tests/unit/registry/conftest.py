"""The registry URL fixture: every registry test runs on SQLite and on a real
PostgreSQL server (`./run test` starts one and sets PAHNA_TEST_POSTGRES_URL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from tests.pgschema import postgres_schema

from pahna.registry.database import open_registry


@pytest.fixture(params=["sqlite", "postgresql"])
def registry_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'registry.sqlite'}"
        return
    with postgres_schema() as url:
        yield url


@pytest.fixture
def registry(registry_url: str) -> Iterator[Engine]:
    engine = open_registry(registry_url)
    yield engine
    engine.dispose()
