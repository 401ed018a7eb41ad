"""One absurd counter cannot break a month: intake quarantines it with a reason and a
counter, and a batch already stored with one is retracted before its month is final."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tests.conftest import CliRunner
from tests.unit.web.conftest import PERIOD, PRODUCERS, build_workspace

from pahna.calendar import JalaliMonth
from pahna.demo.scenario import demo_producers
from pahna.demo.traffic import generate_month
from pahna.intake.base import Datagram
from pahna.intake.ipfix.encoder import encode_flows
from pahna.intake.plausible import MAX_SCALED_COUNT
from pahna.ledger.book import Ledger
from pahna.pipeline import Ingestor
from pahna.schema import address_to_bytes
from pahna.store.quarantine import quarantined
from pahna.store.writer import write_batch

pytestmark = pytest.mark.slow


def absurd(flows: pa.Table, row: int, value: int = 2**63) -> pa.Table:
    counts = flows.column("bytes").to_numpy().copy()
    counts[row] = value
    index = flows.schema.get_field_index("bytes")
    return flows.set_column(index, flows.schema.field(index), pa.array(counts, pa.uint64()))


def month_flows(count: int, seed: int) -> pa.Table:
    chosen = [d for d in demo_producers() if d.producer.id in PRODUCERS]
    return generate_month(chosen, PERIOD, count, seed=seed)


def test_a_stored_absurd_counter_is_retracted_and_the_month_settles(
        tmp_path: Path, pahna_cli: CliRunner) -> None:
    """Regression: one 2^63-byte counter in the store made the month fail for ever, and
    no command could retract its batch."""
    workspace = build_workspace(tmp_path / "home")
    home = ["--home", str(workspace.home)]
    good = pahna_cli("settle", "--period", PERIOD, "--json", *home).stdout
    bad = absurd(month_flows(50, seed=5), 0)
    manifest = write_batch(workspace.store_dir, bad, "a router gone mad",
                           hashlib.sha256(b"absurd").hexdigest())
    assert manifest is not None
    broken = pahna_cli("settle", "--period", PERIOD, *home, check=False)
    assert broken.returncode == 65 and "CounterOverflowError" in broken.stderr
    assert "pahna store retract" in broken.stderr
    listed = json.loads(pahna_cli("store", "batches", "--json", *home).stdout)
    assert {r["batch_id"]: r["bytes"] for r in listed}[manifest.batch_id] >= 2**63
    pahna_cli("store", "retract", manifest.batch_id[:10], "--reason", "counter of 2^63",
              "--actor", "ops", *home)
    assert pahna_cli("settle", "--period", PERIOD, "--json", *home).stdout == good
    kept = list((workspace.store_dir / "retracted").glob(f"{manifest.content_hash}-*"))
    record = next(p for p in kept if p.suffix == ".json")
    assert json.loads(record.read_text())["manifest"]["batch_id"] == manifest.batch_id
    files = next(p for p in kept if p.is_dir())
    moved = sorted(str(p.relative_to(files)) for p in files.rglob("*.parquet"))
    assert moved == sorted(f.path for f in manifest.files)  # every file kept, none read
    events = [e for e in Ledger(workspace.home).events() if e["action"] == "retract"]
    assert [(e["actor"], e["batch_id"], e["reason"]) for e in events] == [
        ("ops", manifest.batch_id, "counter of 2^63")]

    late = write_batch(workspace.store_dir, month_flows(20, seed=6), "late",
                       hashlib.sha256(b"late").hexdigest())
    assert late is not None
    pahna_cli("settle", "finalize", "--period", PERIOD, *home)
    refused = pahna_cli("store", "retract", late.batch_id, "--reason", "x", *home, check=False)
    assert refused.returncode == 65 and "reaches into 1404-08, which is final" in refused.stderr
    assert (workspace.store_dir / "manifests" / f"{late.content_hash}.json").is_file()


def test_intake_quarantines_an_implausible_counter_with_its_reason(tmp_path: Path,
                                                                   pahna_cli: CliRunner) -> None:
    """A message holding a counter past the bound is quarantined whole, with its bytes and
    the reason; the messages around it are stored."""
    workspace = build_workspace(tmp_path / "home")
    clean = month_flows(40, seed=7)
    bad = absurd(month_flows(2, seed=8), 0)  # 2^63 bytes unsampled
    rates = bad.column("sampling_rate").to_numpy().copy()
    rates[1] = 1024  # 2^41 bytes at 1:1024 pass the bound only once scaled
    index = bad.schema.get_field_index("sampling_rate")
    bad = absurd(bad.set_column(index, bad.schema.field(index),
                                pa.array(rates, pa.uint32())), 1, 2**41)
    exporter = address_to_bytes("192.0.2.7")
    start = JalaliMonth.parse(PERIOD).start_ms
    messages = [*encode_flows(clean), *encode_flows(bad, domain=2)]
    hostile = list(encode_flows(bad, domain=2))
    datagrams = [Datagram(exporter, m, start) for m in messages]
    ingestor = Ingestor(workspace)
    report = ingestor.ingest_datagrams(datagrams, "udp://192.0.2.7")
    assert report.records == 40 and report.manifest is not None
    counters = ingestor.counters.as_dict()["192.0.2.7"]
    assert counters["errors"] == {"implausible_counter": len(hostile)}
    kept = quarantined(workspace.quarantine_dir)
    assert [k["reason"] for k in kept] == ["implausible_counter"] * len(hostile)
    assert sum(int(str(k["bytes"])) for k in kept) == sum(len(m) for m in hostile)
    stored = pq.read_table(workspace.store_dir / report.manifest.files[0].path)
    assert np.all(stored.column("bytes").to_numpy() < MAX_SCALED_COUNT)
    pahna_cli("settle", "--period", PERIOD, "--home", str(workspace.home))
