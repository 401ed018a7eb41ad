"""A generated bench month and one local Spark session shared by the aggregate tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from tests.exchange import add_exchange

from pahna.aggregate.kernel import Rules
from pahna.bench.month import write_month
from pahna.bench.scenario import domestic_index, populate_registry
from pahna.config import SparkSettings
from pahna.registry.database import open_registry
from pahna.registry.producers import list_producers
from pahna.registry.rules import province_codes, rules_from_snapshot, rules_snapshot
from pahna.workspace import Workspace, init_workspace

PERIOD = "1404-08"


@pytest.fixture(scope="session")
def bench_month(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """A workspace holding a small generated month (about 40,000 flows) and exchange
    traffic (tests/exchange.py: received bytes, AS claims, metering points)."""
    workspace = init_workspace(tmp_path_factory.mktemp("bench") / "home")
    populate_registry(workspace, PERIOD)
    write_month(workspace, PERIOD, 40_000, seed=7, chunk_rows=5_000)
    add_exchange(workspace, PERIOD)
    return workspace


@pytest.fixture(scope="session")
def bench_rules(bench_month: Workspace) -> Rules:
    """The registry's claims (prefixes, AS numbers), metering points and provinces, and
    the bench's time-limited domestic list."""
    engine = open_registry(bench_month.registry_url)
    rules = rules_from_snapshot(rules_snapshot(engine))
    return replace(rules, domestic=domestic_index(PERIOD),
                   provinces=province_codes(rules.claims.owners, list_producers(engine)))


@pytest.fixture(scope="session")
def spark_settings() -> Iterator[SparkSettings]:
    """Settings of the one local Spark session of the test run (stopped at the end)."""
    from pahna.aggregate.engines.spark import spark_session

    settings = SparkSettings(master="local[2]", shuffle_partitions=2, arrow_batch_rows=4096,
                             driver_memory="1g")
    session = spark_session(settings)
    yield settings
    session.stop()

