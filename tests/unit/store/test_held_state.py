"""Data that arrives before its template is part of the saved state: it survives a restart
and is decoded when the template comes, or quarantined with its bytes on expiry or at a
clean stop; the state always agrees with the store, whenever the process dies."""

from __future__ import annotations

import pyarrow as pa
from tests.flowgen import Flow, flow_table

from pahna.intake.base import Datagram
from pahna.intake.netflow.encoder import encode_v9, v9_template_flowset
from pahna.intake.netflow.v9 import HEADER
from pahna.schema import address_to_bytes
from pahna.store.ingest import Ingestor
from pahna.store.manifests import read_manifests
from pahna.store.quarantine import quarantined
from pahna.store.reader import iter_flows
from pahna.store.state import load_state, stage_state
from pahna.workspace import Workspace

EXPORTER = address_to_bytes("192.0.2.60")
T0 = 1_761_165_000_000


def packets(count: int) -> list[bytes]:
    table: pa.Table = flow_table([Flow(f"10.2.0.{n}", "192.0.2.9", 100 + n, T0 - 1000)
                                  for n in range(count)])
    return list(encode_v9(table, T0, 10**7))


def template_only(sequence: int) -> Datagram:
    payload = HEADER.pack(9, 2, 10**7, T0 // 1000, sequence, 0) + v9_template_flowset()
    return Datagram(EXPORTER, payload, T0 + 5_000)


def data_only(packet: bytes, received_ms: int = T0) -> Datagram:
    """The packet without a template flowset (only the first packet carries one)."""
    if packet[20:22] == b"\x00\x00":
        packet = packet[:20] + packet[20 + int.from_bytes(packet[22:24], "big") :]
    return Datagram(EXPORTER, packet, received_ms)


def stored_bytes(workspace: Workspace) -> list[int]:
    return sorted(b for batch in iter_flows(workspace.store_dir)
                  for b in batch.column("bytes").to_pylist())


def test_held_data_survives_a_restart_and_is_decoded_when_the_template_comes(
        workspace: Workspace) -> None:
    second = packets(40)[1]
    ingestor = Ingestor(workspace)
    report = ingestor.ingest_datagrams([data_only(second)], "udp")
    assert report.records == 0 and report.manifest is None  # nothing stored, no manifest
    assert ingestor.decoder.held() == 1
    saved = load_state(workspace.home)
    assert len(saved["v9"]["held"]) == 1
    restarted = Ingestor(workspace)  # the process was killed: no shutdown
    assert restarted.decoder.held() == 1
    report = restarted.ingest_datagrams([template_only(7)], "udp")
    assert report.records == 20
    assert stored_bytes(workspace) == list(range(120, 140))
    assert load_state(workspace.home)["v9"]["held"] == []


def test_held_data_is_quarantined_on_expiry_with_its_bytes(workspace: Workspace) -> None:
    second = packets(40)[1]
    ingestor = Ingestor(workspace)
    ingestor.ingest_datagrams([data_only(second, received_ms=T0)], "udp")
    late = data_only(packets(60)[2], received_ms=T0 + 61_000)  # the hold is 60 s
    ingestor.ingest_datagrams([late], "udp")
    assert [m["reason"] for m in quarantined(workspace.quarantine_dir)] == ["template_missing"]
    assert ingestor.counters.exporter(EXPORTER).quarantined == 1
    assert ingestor.decoder.held() == 1  # the late one waits in turn
    assert ingestor.shutdown() == 1  # a clean stop quarantines what still waits
    reasons = [m["reason"] for m in quarantined(workspace.quarantine_dir)]
    assert reasons == ["template_missing", "template_missing"]
    assert load_state(workspace.home)["v9"]["held"] == []


def test_quarantined_held_data_can_be_ingested_once_the_template_is_known(
        workspace: Workspace) -> None:
    second = packets(40)[1]
    ingestor = Ingestor(workspace)
    ingestor.ingest_datagrams([data_only(second)], "udp")
    ingestor.shutdown()
    (saved,) = workspace.quarantine_dir.rglob("*.psg")
    again = Ingestor(workspace)
    again.ingest_datagrams([template_only(8)], "udp")
    report = again.ingest_file(saved)  # keeps its exporter and receive time
    assert report.records == 20 and stored_bytes(workspace) == list(range(120, 140))


def test_a_state_staged_for_a_batch_that_never_committed_is_thrown_away(
        workspace: Workspace) -> None:
    ingestor = Ingestor(workspace)
    ingestor.ingest_datagrams([template_only(1)], "udp")
    stage_state(workspace.home, {"format": 1, "v9": {"templates": []}}, "intake-state.json",
                "f" * 64)
    restarted = Ingestor(workspace)  # killed before the manifest of batch f...f
    assert len(restarted.decoder.templated["v9"].templates) == 2  # v4 and v6, not the staged []
    assert not (workspace.home / "state" / "intake-state.json.next").exists()
    assert read_manifests(workspace.store_dir) == []
