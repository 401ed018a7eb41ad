"""A generated bench month and one local Spark session shared by the aggregate tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pahna.aggregate.kernel import Rules
from pahna.bench.month import write_month
from pahna.bench.scenario import domestic_index, populate_registry
from pahna.config import SparkSettings
from pahna.pipeline import claim_index
from pahna.workspace import Workspace, init_workspace

PERIOD = "1404-08"


@pytest.fixture(scope="session")
def bench_month(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """A workspace holding a small generated month (about 40,000 flows)."""
    workspace = init_workspace(tmp_path_factory.mktemp("bench") / "home")
    populate_registry(workspace, PERIOD)
    write_month(workspace, PERIOD, 40_000, seed=7, chunk_rows=5_000)
    return workspace


@pytest.fixture(scope="session")
def bench_rules(bench_month: Workspace) -> Rules:
    """The registry's claims and the bench's time-limited domestic list."""
    return Rules(claim_index(bench_month), domestic_index(PERIOD))


@pytest.fixture(scope="session")
def spark_settings() -> Iterator[SparkSettings]:
    """Settings of the one local Spark session of the test run (stopped at the end)."""
    from pahna.aggregate.engines.spark import spark_session

    settings = SparkSettings(master="local[2]", shuffle_partitions=2, arrow_batch_rows=4096,
                             driver_memory="1g")
    session = spark_session(settings)
    yield settings
    session.stop()

