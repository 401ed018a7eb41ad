"""On a real Spark standalone cluster: a master and two workers started with spark-class
as separate processes, whose executors run a Python that has NumPy and pyarrow but not
pahna (nor pandas, pydantic or anything else of pahna's), reading the flow files from a
`store` location while the workspace the driver runs in holds none. Usage, a draft and
its statements, explain, finalize and verify agree with DuckDB's to the byte, on a
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

from pahna.aggregate.queries import GROUP_KEYS
from pahna.ledger.book import Ledger
from pahna.pipeline import explain, finalize, settle, usage_for_period, verify
from pahna.settle.document import to_document
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


def month_on(home: Path) -> dict[str, object]:
    """Everything a month goes through, on the workspace's engine: usage, a draft and
    its statements, explain, finalize and its statements, verify."""
    workspace = open_workspace(home)
    out: dict[str, object] = {
        "usage": usage_for_period(workspace, PERIOD, group_by=GROUP_KEYS),
        "draft": to_document(settle(workspace, PERIOD)[0]),
        "draft statements": statements(home),
        "explain": [(days, flows) for _, days, flows in
                    (explain(workspace, PERIOD, pid) for pid in EXPLAINED)],
    }
    shutil.rmtree(home / "statements" / PERIOD)
    settlement, revision, _ = finalize(workspace, PERIOD)
    out["final"] = (to_document(settlement), revision,
                    Ledger(home).final(PERIOD)["seal"]["content_hash"])
    out["final statements"] = statements(home)
    out["verify"] = verify(workspace, PERIOD)[0]
    return out


EXPLAINED = (METERED, AS_SENDER[0], "teh-aparat")


def test_a_month_on_a_standalone_cluster_equals_duckdb(
        cluster: Cluster, pahna_cli: CliRunner, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """One Spark application (this process is its driver) runs every step, so executors
    start once; the CLI over Spark is tested in local mode (test_engines_agree.py)."""
    home = tmp_path / "home"
    pahna_cli("bench", "generate", "--flows", "20000", "--chunk-rows", "5000", "--seed", "11",
              "--home", str(home))
    add_exchange(open_workspace(home), PERIOD)
    mirror = tmp_path / "mirror"
    shutil.copytree(home / "store" / "flows", mirror / "flows")
    spark_home = spark_workspace(home, cluster, mirror)
    duck = month_on(home)
    monkeypatch.setenv("PYSPARK_PYTHON", "python3")  # restored after; pahna sets its own
    try:
        spark = month_on(spark_home)
    finally:
        from pyspark.sql import SparkSession

        session = SparkSession.getActiveSession()
        if session is not None:
            session.stop()
    assert os.environ["PYSPARK_PYTHON"] == str(cluster.python)  # the `python` setting
    for key in duck:
        assert spark[key] == duck[key], key
    assert duck["verify"] == []
    assert not (spark_home / "store" / "flows").exists()  # nothing to read locally
    # the month weighed what it should: AS producers sending and receiving, metering
    draft = duck["draft"]
    assert isinstance(draft, dict)
    assert AS_SENDER[0] in str(draft) and AS_RECEIVER[0] in str(draft)
    explained = duck["explain"]
    assert isinstance(explained, list) and all(f.num_rows for _, f in explained)
