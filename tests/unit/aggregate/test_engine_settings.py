"""Choosing the engine in pahna.toml, and what each engine is told."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from pahna.aggregate.engines import get_engine
from pahna.aggregate.engines.spark import SparkEngine, shipped_package
from pahna.aggregate.queries import UsageQuery, scan_predicate
from pahna.config import SparkSettings, load_config
from pahna.errors import ConfigError, EngineError


def test_spark_is_chosen_with_its_master_and_store(tmp_path: Path) -> None:
    path = tmp_path / "pahna.toml"
    path.write_text('[aggregate]\nengine = "spark"\n[aggregate.spark]\n'
                    'master = "spark://10.1.2.3:7077"\nstore = "hdfs://nn:8020/pahna/store"\n'
                    '[aggregate.spark.conf]\n"spark.executor.cores" = "4"\n')
    settings = load_config(path).aggregate
    engine = get_engine(settings.engine, spark=settings.spark, store_dir=tmp_path / "store")
    assert isinstance(engine, SparkEngine)
    assert engine.settings.master == "spark://10.1.2.3:7077"
    assert engine.locations([tmp_path / "store/flows/day=2025-10-23/ab.parquet"]) == [
        "hdfs://nn:8020/pahna/store/flows/day=2025-10-23/ab.parquet"]


def test_unknown_engine_and_keys_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "pahna.toml"
    path.write_text('[aggregate]\nengine = "flink"\n')
    with pytest.raises(ConfigError, match=r"aggregate\.engine"):
        load_config(path)
    path.write_text('[aggregate.spark]\nmaster_url = "local"\n')
    with pytest.raises(ConfigError, match=r"aggregate\.spark\.master_url"):
        load_config(path)
    with pytest.raises(EngineError, match="available: duckdb, spark"):
        get_engine("flink")


def test_local_store_files_are_read_in_place(tmp_path: Path) -> None:
    engine = SparkEngine(SparkSettings())
    file = tmp_path / "store/flows/day=2025-10-23/ab.parquet"
    assert engine.locations([file]) == [f"file://{file}"]


def test_the_scan_keeps_flows_that_start_in_the_last_bin_of_a_window() -> None:
    query = UsageQuery("x", 1_000_000, 1_100_000)  # ends inside the bin [900000, 1200000)
    assert scan_predicate(query).startswith("start_ms < 1200000 AND end_ms >= 700000")


BLOCKER = """
import sys
BLOCKED = {"pydantic", "duckdb", "sqlalchemy", "pandas", "pyspark", "py4j", "click",
           "fastapi"}
class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"blocked: {name}")
sys.meta_path.insert(0, Blocker())
sys.path.insert(0, sys.argv[1])
import pahna.aggregate.executors as executors
assert executors.__file__.startswith(sys.argv[1]), executors.__file__
print("ok")
"""


def test_executors_need_only_numpy_pyarrow_and_the_shipped_zip(tmp_path: Path) -> None:
    """What Spark's executors import comes from the zip the engine ships and needs no
    library of pahna's beyond NumPy and pyarrow (nor pahna installed: the zip is first)."""
    package = shipped_package()
    with zipfile.ZipFile(package) as archive:
        names = set(archive.namelist())
    assert {"pahna/__init__.py", "pahna/aggregate/executors.py",
            "pahna/aggregate/kernel.py", "pahna/attribute/claims.py"} <= names
    assert shipped_package() == package  # made once, named by its content
    done = subprocess.run([sys.executable, "-c", BLOCKER, str(package)], capture_output=True,
                          text=True, cwd=tmp_path)
    assert done.stdout.strip() == "ok", done.stderr

