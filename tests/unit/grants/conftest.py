"""A registry holding the demo round; the history tests run on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from tests.pgschema import postgres_schema

from pahna.grants.demo import run_grants_demo
from pahna.grants.documents import DocumentStore
from pahna.registry.database import open_registry


@pytest.fixture(scope="module")
def demo_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """The demo round, shared by the read-only tests of a module."""
    folder = tmp_path_factory.mktemp("g")
    engine = open_registry(f"sqlite:///{folder / 'registry.sqlite'}")
    run_grants_demo(engine, DocumentStore(folder / "documents"))
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_demo(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """The demo round in a registry of its own (tests may damage it)."""
    if request.param == "sqlite":
        engine = open_registry(f"sqlite:///{tmp_path / 'registry.sqlite'}")
        run_grants_demo(engine, DocumentStore(tmp_path / "documents"))
        yield engine
        engine.dispose()
        return
    with postgres_schema() as url:
        engine = open_registry(url)
        run_grants_demo(engine, DocumentStore(tmp_path / "documents"))
        yield engine
        engine.dispose()
