"""Engine implementations, one file each."""

from __future__ import annotations

from pathlib import Path

from pahna.aggregate.base import Engine
from pahna.config import SparkSettings

ENGINES = ("duckdb", "spark")


def get_engine(name: str, memory_limit: str = "2GB", spark: SparkSettings | None = None,
               store_dir: Path | None = None) -> Engine:
    """The engine called `name`; `spark` and `store_dir` configure the Spark engine."""
    if name == "duckdb":
        from pahna.aggregate.engines.duckdb import DuckDbEngine

        return DuckDbEngine(memory_limit)
    if name == "spark":
        from pahna.aggregate.engines.spark import SparkEngine

        return SparkEngine(spark or SparkSettings(), store_dir)
    from pahna.errors import EngineError

    raise EngineError(f"no aggregation engine {name!r} (available: {', '.join(ENGINES)})")
