"""A capture is committed in bounded batches, each exactly once."""

from __future__ import annotations

from pathlib import Path

import pytest

from pahna import pipeline
from pahna.intake.replay import Selection
from pahna.store import ingest
from pahna.store.manifests import read_manifests
from pahna.workspace import Workspace

PMACCT_PORTS = Selection(frozenset({9991}))  # the port pmacct's cases were sent to

CASE = "captures/pmacct-cases/101-NFv9-CISCO-cust_primitives/traffic-00.pcap"


def test_capture_batches_are_stored_once(workspace: Workspace, shared_dir: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ingest, "CAPTURE_BATCH", 7)
    capture = shared_dir / CASE
    first = pipeline.Ingestor(workspace, selection=PMACCT_PORTS).ingest_file(capture)
    assert first.records == 51 and not first.duplicate
    assert len(read_manifests(workspace.store_dir)) == 6  # 40 datagrams, 7 at a time
    again = pipeline.Ingestor(workspace, selection=PMACCT_PORTS).ingest_file(capture)
    assert again.duplicate and again.records == 0
    assert len(read_manifests(workspace.store_dir)) == 6
