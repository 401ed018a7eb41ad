"""An unexpected error in the flusher stops `pahna collect` with a clear message and a
non-zero exit (a process that looks alive while storing nothing is the worst outcome),
and what the spool held is stored by the next start."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from click.testing import CliRunner
from tests.flowgen import Flow, flow_table

from pahna.cli import main
from pahna.intake.ipfix.encoder import encode_flows
from pahna.store.ingest import Ingestor
from pahna.store.reader import iter_flows
from pahna.workspace import Workspace

T0 = 1_761_165_000_000


def send_soon(port: int, messages: list[bytes]) -> threading.Thread:
    def send() -> None:
        time.sleep(1.0)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            for message in messages:
                sender.sendto(message, ("127.0.0.1", port))
    thread = threading.Thread(target=send)
    thread.start()
    return thread


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_bug_in_the_flusher_stops_collect_with_exit_70_and_loses_nothing(
        workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    messages = list(encode_flows(flow_table([Flow("10.0.0.1", "10.0.0.2", 100 + n, T0 + n)
                                             for n in range(50)])))
    port = free_udp_port()
    args = ["collect", "--home", str(workspace.home), "--listen", f"127.0.0.1:{port}",
            "--flush-interval", "0.2", "--duration", "20"]

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("a bug in the commit path")

    monkeypatch.setattr(Ingestor, "ingest_retrying", broken)
    sender = send_soon(port, messages)
    started = time.monotonic()
    result = CliRunner().invoke(main, args)
    sender.join()
    assert result.exit_code == 70, result.output
    assert "stopped by an unexpected RuntimeError (a bug in the commit path)" in result.output
    assert time.monotonic() - started < 15, "it went on looking alive"
    spool = list((workspace.home / "spool").rglob("seg-*.seg"))
    assert spool, "the datagrams should still be in the spool"
    monkeypatch.undo()
    result = CliRunner().invoke(main, [*args[:-2], "--duration", "1.5"])
    assert result.exit_code == 0, result.output
    assert sorted(b for batch in iter_flows(workspace.store_dir)
                  for b in batch.column("bytes").to_pylist()) == list(range(100, 150))
    assert not list((workspace.home / "spool").rglob("seg-*.seg"))


