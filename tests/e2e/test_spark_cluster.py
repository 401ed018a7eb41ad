"""Through the CLI on a real Spark standalone cluster: a master and two workers started
with spark-class as separate processes, whose executors run a Python that has NumPy and
pyarrow but not pahna (nor pandas, pydantic or anything else of pahna's), reading the
flow files from a `store` location while the workspace the driver runs in holds none.
Usage, settlement, finalize, verify and explain agree with DuckDB's to the byte, on a
month with received traffic, producers known by AS number and metering points."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy
import pyarrow
import pyspark
import pytest
import tomli_w
from tests.conftest import CliRunner
from tests.exchange import AS_RECEIVER, AS_SENDER, METERED, add_exchange

from pahna.workspace import open_workspace

pytestmark = pytest.mark.slow
PERIOD = "1404-08"
SPARK_HOME = Path(pyspark.__file__).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def worker_python(folder: Path) -> Path:
    """A virtual environment of the base interpreter holding only NumPy and pyarrow
    (linked from this one's), as a cluster's workers would have."""
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--without-pip", str(folder)], check=True)
    site = next(folder.glob("lib/python3*/site-packages"))
    for module in (numpy, pyarrow):
        package = Path(module.__file__).parent  # type: ignore[arg-type]
        for name in (package.name, f"{package.name}.libs"):
            if (package.parent / name).exists():
                (site / name).symlink_to(package.parent / name)
    return folder / "bin" / "python"


@dataclass(frozen=True)
class Cluster:
    master: str
    python: Path


def _alive_workers(ui_port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{ui_port}/json/", timeout=2) as reply:
            state = json.load(reply)
    except OSError:
        return -1
    return sum(1 for w in state.get("workers", []) if w.get("state") == "ALIVE")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A standalone master and two one-core workers, stopped at the end."""
    root = tmp_path_factory.mktemp("cluster")
    python = worker_python(root / "worker-python")
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYSPARK_PYTHON")}
    env.update(SPARK_HOME=str(SPARK_HOME), SPARK_LOCAL_IP="127.0.0.1",
               SPARK_LOG_DIR=str(root / "logs"), SPARK_WORKER_DIR=str(root / "work"))
    port, ui = free_port(), free_port()
    spark_class = str(SPARK_HOME / "bin" / "spark-class")
    master = f"spark://127.0.0.1:{port}"
    logs = (root / "processes.log").open("wb")
    processes = [subprocess.Popen(
        [spark_class, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
         "--port", str(port), "--webui-port", str(ui)], env=env, stdout=logs, stderr=logs)]
    processes += [subprocess.Popen(
        [spark_class, "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1",
         "--cores", "1", "--memory", "1g", "--webui-port", str(free_port()),
         "--work-dir", str(root / f"work{i}"), master], env=env, stdout=logs, stderr=logs)
        for i in range(2)]
    try:
        deadline = time.monotonic() + 120
        while _alive_workers(ui) < 2:
            assert time.monotonic() < deadline, (root / "processes.log").read_text()[-3000:]
            assert all(p.poll() is None for p in processes)
            time.sleep(0.5)
        yield Cluster(master, python)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        logs.close()


def test_the_workers_python_has_numpy_and_pyarrow_but_not_pahna(cluster: Cluster) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    run = [str(cluster.python), "-c"]
    assert subprocess.run([*run, "import numpy, pyarrow"], env=env).returncode == 0
    for module in ("pahna", "pandas", "pydantic", "duckdb"):
        found = subprocess.run([*run, f"import {module}"], env=env, capture_output=True)
        assert found.returncode != 0, module


def statements(home: Path) -> dict[str, bytes]:
    folder = home / "statements" / PERIOD
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def spark_workspace(home: Path, cluster: Cluster, mirror: Path) -> Path:
    """A copy of the workspace without its flow files, set to read them on the cluster
    from `mirror`."""
    copy = home.parent / "spark-home"
    shutil.copytree(home, copy)
    shutil.rmtree(copy / "store" / "flows")
    config = tomllib.loads((copy / "pahna.toml").read_text())
    config["aggregate"]["engine"] = "spark"
    config["aggregate"]["spark"].update(
        master=cluster.master, store=f"file://{mirror}", python=str(cluster.python),
        shuffle_partitions=2, executor_memory="512m", driver_memory="1g")
    (copy / "pahna.toml").write_text(tomli_w.dumps(config))
    return copy


def test_cli_on_a_standalone_cluster_equals_duckdb(
        cluster: Cluster, pahna_cli: CliRunner, tmp_path: Path) -> None:
    home = tmp_path / "home"
    pahna_cli("bench", "generate", "--flows", "20000", "--chunk-rows", "5000", "--seed", "11",
              "--home", str(home))
    add_exchange(open_workspace(home), PERIOD)
    mirror = tmp_path / "mirror"
    shutil.copytree(home / "store" / "flows", mirror / "flows")
    homes = {"duckdb": home, "spark": spark_workspace(home, cluster, mirror)}
    outputs: dict[str, dict[str, object]] = {}
    for engine, where in homes.items():
        def cli(*args: str, at: Path = where) -> str:
            return pahna_cli(*args, "--home", str(at), timeout=600).stdout

        outputs[engine] = {
            "usage": json.loads(cli("usage", "--period", PERIOD, "--json")),
            "draft": json.loads(cli("settle", "--period", PERIOD, "--json")),
            "draft statements": statements(where),
            "explain": [json.loads(cli("explain", "--producer", pid, "--period", PERIOD,
                                       "--json"))
                        for pid in (METERED, AS_SENDER[0], "teh-aparat")],
        }
        shutil.rmtree(where / "statements" / PERIOD)
        outputs[engine]["final"] = json.loads(cli("settle", "finalize", "--period", PERIOD,
                                                  "--json"))
        outputs[engine]["verify"] = cli("settle", "verify", "--period", PERIOD)
        outputs[engine]["final statements"] = statements(where)
    duck, spark = outputs["duckdb"], outputs["spark"]
    # what metering points kept out is counted by DuckDB only (docs/registry.md)
    dropped = duck["usage"].pop("metering_dropped")  # type: ignore[attr-defined]
    assert spark["usage"].pop("metering_dropped") is None  # type: ignore[attr-defined]
    assert dropped and sum(r["flows"] for r in dropped.values())
    for key in duck:
        assert spark[key] == duck[key], key
    assert "verifies" in str(duck["verify"])
    assert not (homes["spark"] / "store" / "flows").exists()  # nothing to read locally
    # the month weighed what it should: AS producers sending and receiving, metering
    usage = {row["producer_id"]: row for row in duck["usage"]["usage"]}  # type: ignore[index]
    assert usage[AS_SENDER[0]]["bytes"] > 0 and AS_RECEIVER[0] in str(duck["draft"])
