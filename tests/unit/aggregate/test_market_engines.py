"""The content market's figures through Spark equal DuckDB's, and the hand-worked ones
(tests/marketmonth.py), on the shared local Spark session."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.marketmonth import EXPECTED, PERIOD, build_market_workspace

from pahna.config import PahnaConfig, SparkSettings
from pahna.market.build import compute_month
from pahna.workspace import init_workspace

pytestmark = pytest.mark.slow  # Spark jobs: about 50 s on a loaded 2-core machine


def test_spark_gives_the_market_duckdbs_figures(tmp_path: Path,
                                                spark_settings: SparkSettings) -> None:
    config = PahnaConfig()
    config.aggregate.spark = spark_settings
    workspace = build_market_workspace(init_workspace(tmp_path / "home", config))
    on_duckdb = compute_month(workspace, PERIOD, "duckdb")
    on_spark = compute_month(workspace, PERIOD, "spark")
    assert on_spark == on_duckdb
    assert {i.content_id: (i.bytes, i.client_networks) for i in on_spark.items} == EXPECTED
