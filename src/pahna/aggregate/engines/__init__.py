"""Engine implementations, one file each."""

from pahna.aggregate.base import Engine


def get_engine(name: str, memory_limit: str = "2GB") -> Engine:
    """The engine called `name`."""
    if name == "duckdb":
        from pahna.aggregate.engines.duckdb import DuckDbEngine

        return DuckDbEngine(memory_limit)
    from pahna.errors import EngineError

    raise EngineError(f"no aggregation engine {name!r} (available: duckdb)")
