"""A final sealed before compaction still verifies after it (its files stay where it sealed
them; the compacted batch is compared through the batches it holds), a batch committed
after finalizing is still noted as late, `pahna store compact` says what it does, and a
draft computed after compaction equals the one before it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pyarrow as pa
from tests.conftest import CliRunner
from tests.unit.web.conftest import PERIOD, chosen_producers, registered_workspace

from pahna.compaction import compact_store
from pahna.demo.traffic import generate_month
from pahna.ledger.book import Ledger
from pahna.pipeline import finalize, settle, usage_for_period, verify
from pahna.settle.document import canonical_bytes, to_document
from pahna.store.layout import DAY_MS
from pahna.store.manifests import read_manifests
from pahna.store.writer import write_batch
from pahna.workspace import Workspace

BATCHES_A_DAY = 3


def commit_by_day(workspace: Workspace, table: pa.Table, tag: str) -> int:
    """Commit `table` as BATCHES_A_DAY batches per UTC day, as a collector would."""
    days = np.asarray(table.column("start_ms")) // DAY_MS
    count = 0
    for day in np.unique(days):
        rows = table.filter(pa.array(days == day))
        for part in range(BATCHES_A_DAY):
            chunk = rows.slice(part * rows.num_rows // BATCHES_A_DAY,
                               (part + 1) * rows.num_rows // BATCHES_A_DAY
                               - part * rows.num_rows // BATCHES_A_DAY)
            if chunk.num_rows:
                name = hashlib.sha256(f"{tag}:{day}:{part}".encode()).hexdigest()
                count += write_batch(workspace.store_dir, chunk, tag, name) is not None
    return count


def build(home: Path) -> Workspace:
    workspace = registered_workspace(home)
    commit_by_day(workspace, generate_month(chosen_producers(), PERIOD, 3000), "collector")
    return workspace


def test_a_final_sealed_before_compaction_verifies_after_it(tmp_path: Path,
                                                            pahna_cli: CliRunner) -> None:
    workspace = build(tmp_path / "home")
    finalize(workspace, PERIOD)
    usage_before = usage_for_period(workspace, PERIOD)
    late = generate_month(chosen_producers(), PERIOD, 40, seed=7)
    assert commit_by_day(workspace, late, "late") > 0  # after finalizing: an adjustment's
    batches = len(read_manifests(workspace.store_dir))
    home = ["--home", str(workspace.home)]
    dry = pahna_cli("store", "compact", "--dry-run", *home)
    assert dry.returncode == 0 and "batches" in dry.stdout
    assert len(read_manifests(workspace.store_dir)) == batches  # a dry run changes nothing
    done = pahna_cli("store", "compact", *home)
    assert done.returncode == 0, done.stderr
    days = len(read_manifests(workspace.store_dir))
    assert days < batches / 2
    problems, notes = verify(workspace, PERIOD)
    assert problems == []
    assert any("committed after finalizing" in n for n in notes)
    assert usage_for_period(workspace, PERIOD).equals(usage_before)
    sealed = Ledger(workspace.home).final(PERIOD)["seal"]["inputs"]["manifests"]
    assert all((workspace.store_dir / f["path"]).is_file() for m in sealed for f in m["files"])
    assert any(e["action"] == "compact" for e in Ledger(workspace.home).events())
    retired = compact_store(workspace, grace_s=0)  # the sources' grace is over
    assert retired.retired_manifests > 0 and retired.retired_files > 0
    assert all((workspace.store_dir / f["path"]).is_file() for m in sealed for f in m["files"])
    assert verify(workspace, PERIOD)[0] == []


def test_a_draft_after_compaction_equals_the_draft_before(tmp_path: Path) -> None:
    workspace = build(tmp_path / "home")
    before, _, _ = settle(workspace, PERIOD)
    report = compact_store(workspace, grace_s=0)
    assert report.compacted and report.retired_files > 0
    after, _, _ = settle(workspace, PERIOD)
    assert canonical_bytes(to_document(after)) == canonical_bytes(to_document(before))
