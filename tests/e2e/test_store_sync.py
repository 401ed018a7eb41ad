"""Several collectors, one store: `pahna store sync` brings another collector's batches in,
each once, and usage names the collectors that contributed to a month.

Each stream is what one router exports to its own collector (its own exporter address);
the expected usage is summed here from the flows as they were generated."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.flowgen import Flow, flow_table

from pahna.cli import main
from pahna.compaction import compact_store
from pahna.config import CollectorSettings, PahnaConfig
from pahna.intake.base import Datagram
from pahna.intake.ipfix.encoder import encode_flows
from pahna.registry.instants import parse_instant
from pahna.schema import address_to_bytes
from pahna.store import writer
from pahna.store.ingest import Ingestor
from pahna.store.manifests import read_manifests
from pahna.store.quarantine import quarantined
from pahna.store.reader import iter_flows
from pahna.workspace import Workspace, init_workspace

REPO = Path(__file__).resolve().parents[2]
T1 = parse_instant("1404-08-10T12:00")
PRODUCERS = ("id,name,name_fa,province,type,zone,iban\n"
             "qom-media,Qom Media,رسانه قم,IR-25,public_centre,,\n")
CLAIMS = "producer_id,kind,value,valid_from,valid_to\nqom-media,prefix,185.10.0.0/16,1404-01-01,\n"


def stream(router: int, first: int, count: int) -> list[Flow]:
    """Flows numbered first..first+count: even ones served by qom-media, odd ones by
    nobody's address; 1000 + n bytes each."""
    return [Flow(f"185.10.{n >> 8}.{n & 255}" if n % 2 == 0 else f"9.9.{n >> 8}.{n & 255}",
                 "5.1.1.1", 1000 + n, T1 + n * 1000, src_port=n & 0xFFFF, dst_port=router)
            for n in range(first, first + count)]


def datagrams(router: int, flows: list[Flow]) -> list[Datagram]:
    exporter = f"10.255.0.{router}"
    return [Datagram(address_to_bytes(exporter), message, T1 + 3_600_000 + i)
            for i, message in enumerate(encode_flows(flow_table(flows, exporter)))]


def collector(home: Path, name: str) -> Workspace:
    config = PahnaConfig(collector=CollectorSettings(name=name))
    return init_workspace(home, config)


def collect(workspace: Workspace, batches: list[list[Datagram]]) -> None:
    ingestor = Ingestor(workspace)
    for index, batch in enumerate(batches):
        ingestor.ingest_datagrams(batch, f"udp batch {index}")


def cli(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def with_registry(home: Path, tmp: Path) -> None:
    (tmp / "producers.csv").write_text(PRODUCERS, encoding="utf-8")
    (tmp / "claims.csv").write_text(CLAIMS, encoding="utf-8")
    cli("registry", "import", str(tmp / "producers.csv"), str(tmp / "claims.csv"),
        "--home", str(home))


def usage(home: Path) -> dict[str, object]:
    return json.loads(cli("usage", "--period", "1404-08", "--json", "--home", str(home)))


def tree(home: Path) -> dict[str, str]:
    """Every file of the workspace's store and quarantine, with its sha256."""
    return {str(p.relative_to(home)): hashlib.sha256(p.read_bytes()).hexdigest()
            for sub in ("store", "quarantine") for p in sorted((home / sub).rglob("*"))
            if p.is_file() and p.name != ".lock"}


def rows(home: Path) -> list[tuple[int, int, int]]:
    return sorted((r["dst_port"], r["src_port"], r["bytes"])
                  for b in iter_flows(home / "store") for r in b.to_pylist())


@pytest.fixture
def two_collectors(tmp_path: Path) -> tuple[Path, Path, list[Datagram], list[Datagram]]:
    one = datagrams(1, stream(1, 0, 300))
    two = datagrams(2, stream(2, 300, 200))
    garbage = Datagram(address_to_bytes("10.255.0.1"), b"\x00\x0a\x00\x05junk", T1)
    collect(collector(tmp_path / "a", "rack-a"), [one[:4], [*one[4:9], garbage], one[9:]])
    collect(collector(tmp_path / "b", "rack-b"), [two[:5], two[5:]])
    return tmp_path / "a", tmp_path / "b", one, two


def test_two_collectors_merged_equal_one_receiving_both(
        tmp_path: Path, two_collectors: tuple[Path, Path, list[Datagram], list[Datagram]]
) -> None:
    a, b, one, two = two_collectors
    single = collector(tmp_path / "c", "rack-c")
    collect(single, [one[:4], one[4:9], two[:5], one[9:], two[5:]])
    merged = tmp_path / "m"
    collector(merged, "hub")
    for home in (merged, single.home):
        with_registry(home, tmp_path)
    cli("store", "sync", str(a), "--home", str(merged))
    cli("store", "sync", str(b), "--home", str(merged))

    expected = sum(1000 + n for n in range(0, 500, 2))
    unattributed = sum(1000 + n for n in range(1, 500, 2))
    got, reference = usage(merged), usage(single.home)
    assert got["usage"] == reference["usage"]
    assert [(g["producer_id"], g["bytes"], g["flows"]) for g in got["usage"]] == [
        ("qom-media", expected, 250), (None, unattributed, 250)]
    assert got["collectors"] == {"rack-a": 3, "rack-b": 2}
    assert reference["collectors"] == {"rack-c": 5}
    assert rows(merged) == rows(single.home)
    assert [q["reason"] for q in quarantined(merged / "quarantine")] == [
        q["reason"] for q in quarantined(a / "quarantine")] != []

    before = tree(merged)
    again = json.loads(cli("store", "sync", str(a), "--json", "--home", str(merged)))
    assert again["copied"] == [] and len(again["held"]) == 3
    cli("store", "sync", str(b), "--home", str(merged))
    assert tree(merged) == before

    # the merged store knows the messages: the same traffic ingested here stores nothing
    report = Ingestor(Workspace(merged, PahnaConfig())).ingest_datagrams(two, "late copy")
    assert report.records == 0 and report.duplicates == len(two)


def test_a_stream_received_twice_is_synced_once(tmp_path: Path) -> None:
    one = datagrams(1, stream(1, 0, 120))
    collect(collector(tmp_path / "a", "rack-a"), [one[:2], one[2:]])
    collect(collector(tmp_path / "b", "rack-b"), [one])  # the same messages, other batch
    merged = collector(tmp_path / "m", "hub").home
    cli("store", "sync", str(tmp_path / "a"), "--home", str(merged))
    report = json.loads(cli("store", "sync", str(tmp_path / "b"), "--json", "--home",
                            str(merged)))
    assert report["copied"] == [] and len(report["duplicates"]) == 1
    assert rows(merged) == rows(tmp_path / "a")

    fresh = datagrams(1, stream(1, 500, 5))
    collect(collector(tmp_path / "p", "rack-p"), [[one[0], *fresh]])  # partly here
    result = CliRunner().invoke(main, ["store", "sync", str(tmp_path / "p"), "--home",
                                       str(merged)])
    assert result.exit_code == 1 and "conflict" in result.output, result.output
    assert rows(merged) == rows(tmp_path / "a")


def test_a_batch_retracted_here_is_not_brought_back(
        tmp_path: Path, two_collectors: tuple[Path, Path, list[Datagram], list[Datagram]]
) -> None:
    a = two_collectors[0]
    merged = collector(tmp_path / "m", "hub").home
    cli("store", "sync", str(a), "--home", str(merged))
    first = read_manifests(merged / "store")[0]
    cli("store", "retract", first.batch_id, "--reason", "test", "--home", str(merged))
    report = json.loads(cli("store", "sync", str(a), "--json", "--home", str(merged)))
    assert report["retracted"] == [first.content_hash] and report["copied"] == []
    assert first.content_hash not in {m.content_hash for m in read_manifests(merged / "store")}


KILLER = """
import os, signal, sys
import pahna.store.sync
from pahna.cli import main
module, name, after = sys.argv[1], sys.argv[2], int(sys.argv[3])
original, calls = getattr(sys.modules[module], name), [0]
def trapped(*args, **kwargs):
    calls[0] += 1
    if calls[0] > after:
        os.kill(os.getpid(), signal.SIGKILL)
    return original(*args, **kwargs)
setattr(sys.modules[module], name, trapped)
main(sys.argv[4:])
"""


def killed_sync(source: Path, home: Path, module: str, name: str, after: int) -> None:
    result = subprocess.run(
        [sys.executable, "-c", KILLER, module, name, str(after), "store", "sync",
         str(source), "--home", str(home)], cwd=REPO, env={**os.environ},
        capture_output=True, text=True, timeout=60)
    assert result.returncode == -9, result.stderr


def test_sync_killed_and_rerun_leaves_no_half_file_and_no_double(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    flows = stream(1, 0, 160)
    batches = [datagrams(1, flows[i:i + 20]) for i in range(0, 160, 20)]
    collect(collector(tmp_path / "a", "rack-a"), batches)
    merged = collector(tmp_path / "m", "hub").home
    # killed with a batch's file copied to its temporary name, before the rename
    killed_sync(tmp_path / "a", merged, "pahna.store.sync", "fsync_file", 3)
    assert list((merged / "store").rglob(".sync-*"))
    assert 0 < len(read_manifests(merged / "store")) < len(batches)
    # stopped again with a batch listed in the day index but its manifest not written
    original, calls = writer.write_atomically, [0]

    def failing(path: Path, data: bytes) -> None:
        calls[0] += 1
        if calls[0] > 2:
            raise OSError("disk gone")
        original(path, data)

    monkeypatch.setattr(writer, "write_atomically", failing)
    with pytest.raises(OSError, match="disk gone"):
        cli("store", "sync", str(tmp_path / "a"), "--home", str(merged))
    monkeypatch.undo()
    cli("store", "sync", str(tmp_path / "a"), "--home", str(merged))

    assert not list(merged.rglob(".sync-*"))
    assert rows(merged) == rows(tmp_path / "a")
    assert len(rows(merged)) == 160
    named = {f.path: f.sha256 for m in read_manifests(merged / "store") for f in m.files}
    on_disk = {str(p.relative_to(merged / "store")): hashlib.sha256(p.read_bytes()).hexdigest()
               for p in (merged / "store" / "flows").rglob("*") if p.is_file()}
    assert on_disk == named
    assert len(named) == len(batches)


def test_batches_synced_before_the_source_compacted_them_are_not_doubled(
        tmp_path: Path) -> None:
    one = datagrams(1, stream(1, 0, 200))
    source = collector(tmp_path / "a", "rack-a")
    merged = collector(tmp_path / "m", "hub").home
    collect(source, [one[:3], one[3:6]])
    cli("store", "sync", str(source.home), "--home", str(merged))
    collect(source, [one[6:]])  # committed after that sync, then the day compacted
    (compacted,) = compact_store(source).compacted
    assert len(compacted.replaces) == 3
    report = json.loads(cli("store", "sync", str(source.home), "--json", "--home",
                            str(merged)))
    assert report["conflicts"] == {} and len(report["copied"]) == 1
    assert rows(merged) == rows(source.home) and len(rows(merged)) == 200
    other = collector(tmp_path / "n", "hub-2").home  # a store that had none of them
    cli("store", "sync", str(source.home), "--home", str(other))
    assert [m.content_hash for m in read_manifests(other / "store")] == [
        compacted.content_hash]
    assert rows(other) == rows(source.home)
