"""Duplicates are known by what identifies an export (exporter, stream, sequence, bytes),
not by how datagrams were grouped: the same datagrams in other batches, a capture
ingested with another batch size, or ingested again, are stored once; two messages that
differ only in their bytes are both stored."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pyarrow as pa
import pytest
from tests.flowgen import Flow, flow_table

from pahna.compaction import compact_store
from pahna.intake.base import Datagram
from pahna.intake.ipfix.encoder import encode_flows
from pahna.intake.netflow.encoder import encode_v5
from pahna.intake.replay import Selection
from pahna.intake.sflow.encoder import encode_sflow
from pahna.schema import address_to_bytes
from pahna.store import ingest
from pahna.store.ingest import Ingestor
from pahna.store.manifests import read_manifests
from pahna.store.reader import iter_flows
from pahna.workspace import Workspace

PMACCT_PORTS = Selection(frozenset({9991}))  # the port pmacct's cases were sent to

EXPORTER = address_to_bytes("192.0.2.50")
T0 = 1_761_165_000_000


def traffic(count: int) -> pa.Table:
    return flow_table([Flow(f"10.1.{n // 250}.{n % 250}", "192.0.2.200", 1000 + n, T0 + n)
                       for n in range(count)])


def stored(workspace: Workspace) -> list[int]:
    return sorted(b for batch in iter_flows(workspace.store_dir)
                  for b in batch.column("bytes").to_pylist())


@pytest.mark.parametrize("encode", ["ipfix", "v5", "sflow"])
def test_the_same_datagrams_grouped_differently_are_stored_once(workspace: Workspace,
                                                                 encode: str) -> None:
    table = traffic(400)
    messages = {"ipfix": lambda: list(encode_flows(table, template_every=10)),
                "v5": lambda: list(encode_v5(table, T0 + 10_000, 10**7)),
                "sflow": lambda: list(encode_sflow(table))}[encode]()
    datagrams = [Datagram(EXPORTER, m, T0 + i) for i, m in enumerate(messages)]
    first = Ingestor(workspace)
    for start in range(0, len(datagrams), 7):
        first.ingest_datagrams(datagrams[start : start + 7], "udp")
    assert stored(workspace) == sorted(range(1000, 1400))
    again = Ingestor(workspace, state="other-process.json")  # another process, no templates
    for start in range(0, len(datagrams), 11):
        again.ingest_datagrams(datagrams[start + 3 : start + 11] + datagrams[start : start + 3],
                               "udp, replayed")
    assert stored(workspace) == sorted(range(1000, 1400))
    counters = again.counters.exporter(EXPORTER)
    assert counters.duplicates == len(datagrams) and counters.records == 0


def test_a_message_that_differs_only_in_its_bytes_is_not_a_duplicate(
        workspace: Workspace) -> None:
    (message,) = encode_flows(traffic(3))
    other = message[:-8] + struct.pack("!Q", 7777)  # same header: domain, sequence, time
    ingestor = Ingestor(workspace)
    ingestor.ingest_datagrams([Datagram(EXPORTER, message, T0)], "a")
    report = ingestor.ingest_datagrams([Datagram(EXPORTER, other, T0)], "b")
    assert report.records == 3 and report.duplicates == 0
    from_elsewhere = ingestor.ingest_datagrams(
        [Datagram(address_to_bytes("192.0.2.51"), message, T0)], "c")
    assert from_elsewhere.records == 3  # the exporter is part of the identity


def test_a_capture_with_another_batch_size_is_stored_once(
        workspace: Workspace, shared_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    capture = shared_dir / "captures/pmacct-cases/101-NFv9-CISCO-cust_primitives/traffic-00.pcap"
    monkeypatch.setattr(ingest, "CAPTURE_BATCH", 7)
    first = Ingestor(workspace, selection=PMACCT_PORTS).ingest_file(capture)
    assert first.records == 51
    manifests = len(read_manifests(workspace.store_dir))
    monkeypatch.setattr(ingest, "CAPTURE_BATCH", 5)
    again = Ingestor(workspace, selection=PMACCT_PORTS).ingest_file(capture)
    assert again.duplicate and again.records == 0 and again.duplicates == 40
    assert len(read_manifests(workspace.store_dir)) == manifests
    assert len(stored(workspace)) == 51


def test_identities_of_a_batch_without_a_manifest_do_not_count(workspace: Workspace) -> None:
    """A crash between the identities and the manifest: the chunk is ignored."""
    messages = list(encode_flows(traffic(60)))
    datagrams = [Datagram(EXPORTER, m, T0) for m in messages]
    ingestor = Ingestor(workspace)
    with ingestor.exports.locked():
        prepared = ingestor.prepare(datagrams, "udp")
        ingestor.exports.write_chunks(prepared.content_hash, prepared.identities)
    # the process dies here; a new one sees the chunk but no manifest
    restarted = Ingestor(workspace)
    report = restarted.ingest_datagrams(datagrams, "udp")
    assert report.records == 60 and report.duplicates == 0
    assert len(stored(workspace)) == 60


def test_empty_datagrams_are_each_quarantined_as_empty_never_duplicates(
        workspace: Workspace) -> None:
    """A zero-length datagram is valid UDP and no export message: two from one exporter
    are not one export seen twice; each is counted and kept in quarantine, reason
    `empty`, in any batch."""
    messages = list(encode_flows(traffic(30)))
    batch = [Datagram(EXPORTER, m, T0 + i) for i, m in enumerate(messages)]
    batch[1:1] = [Datagram(EXPORTER, b"", T0)] * 3
    ingestor = Ingestor(workspace)
    report = ingestor.ingest_datagrams(batch, "udp")
    ingestor.ingest_datagrams([Datagram(EXPORTER, b"", T0 + 5)] * 2, "udp, later")
    counters = ingestor.counters.exporter(EXPORTER)
    assert report.rejected == 3 and report.duplicates == 0
    assert counters.errors == {"empty": 5} and counters.duplicates == 0
    assert counters.quarantined == 5 and counters.quarantined_bytes == 0
    assert counters.datagrams == len(messages) + 5
    assert stored(workspace) == sorted(range(1000, 1030))
    kept = [json.loads(line) for path in workspace.quarantine_dir.rglob("*.jsonl")
            for line in path.read_text().splitlines()]
    assert sorted((k["reason"], k["bytes"]) for k in kept) == [("empty", 0)] * 5


def test_messages_of_compacted_batches_are_still_known(workspace: Workspace) -> None:
    """Decision 0006 across compaction (decision 0008): the batches the identities were
    filed under are compacted and their manifests retired; the messages are still held."""
    table = traffic(300)
    datagrams = [Datagram(EXPORTER, m, T0 + i)
                 for i, m in enumerate(encode_flows(table, template_every=10))]
    first = Ingestor(workspace)
    for start in range(0, len(datagrams), 2):
        first.ingest_datagrams(datagrams[start : start + 2], "udp")
    batches = len(read_manifests(workspace.store_dir))
    assert batches >= 2
    report = compact_store(workspace, grace_s=0)
    assert report.compacted and report.retired_manifests == batches
    assert len(read_manifests(workspace.store_dir)) == 1
    again = Ingestor(workspace, state="after-compaction.json")
    again.ingest_datagrams(datagrams, "udp, replayed after compaction")
    assert stored(workspace) == sorted(range(1000, 1300))
    assert again.counters.exporter(EXPORTER).duplicates == len(datagrams)
