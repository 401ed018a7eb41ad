"""Engine implementations, one file each."""

from __future__ import annotations

from pathlib import Path

from pahna.aggregate.base import Engine
from pahna.config import SparkSettings

ENGINES = ("duckdb", "spark")


def get_engine(name: str, memory_limit: str = "2GB", spark: SparkSettings | None = None,
               store_dir: Path | None = None, threads: int = 0) -> Engine:
    """The engine called `name`; `memory_limit` and `threads` (0: one per core)
    configure DuckDB, `spark` and `store_dir` the Spark engine."""
    if name == "duckdb":
        from pahna.aggregate.engines.duckdb import DuckDbEngine

        return DuckDbEngine(memory_limit, threads)
    if name == "spark":
        from pahna.aggregate.engines.spark import SparkEngine

        return SparkEngine(spark or SparkSettings(), store_dir)
    from pahna.errors import EngineError

    raise EngineError(f"no aggregation engine {name!r} (available: {', '.join(ENGINES)})")
