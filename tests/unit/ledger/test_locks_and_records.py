"""The ledger under races and crashes: one lock per period across threads and processes
(released by the kernel when its holder dies), records created exclusively, and every
final fsynced with its folder before anyone is told."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from pahna.errors import ImmutableStatementError, PeriodBusyError
from pahna.ledger import durable
from pahna.ledger.book import Ledger
from pahna.ledger.durable import create_exclusive

RECORD = {"period": "1404-08", "seal": {"content_hash": "abc"}, "settlement": {"lines": []}}


def _in_thread(target: object) -> BaseException | None:
    caught: list[BaseException] = []

    def run() -> None:
        try:
            target()  # type: ignore[operator]
        except BaseException as exc:  # handed back to the test
            caught.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    return caught[0] if caught else None


def test_a_period_is_changed_by_one_command_at_a_time(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    with ledger.lock("1404-08", "finalize"):
        with ledger.lock("1404-08", "finalize"):  # re-entrant within one thread
            pass
        other = _in_thread(lambda: ledger.write_final("1404-08", RECORD))
        assert isinstance(other, PeriodBusyError)
        assert "busy with finalize (pid" in str(other) and "nothing was changed" in str(other)
        assert _in_thread(lambda: Ledger(tmp_path).write_draft("1404-09", {"d": 1})) is None
    assert ledger.revisions("1404-08") == []
    assert ledger.write_final("1404-08", RECORD) == 1  # released after the block


def test_the_kernel_releases_the_lock_of_a_killed_holder(tmp_path: Path) -> None:
    code = ("import sys, time; from pathlib import Path; from pahna.ledger.book import Ledger\n"
            "with Ledger(Path(sys.argv[1])).lock('1404-08', 'finalize'):\n"
            "    print('held', flush=True); time.sleep(60)\n")
    holder = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(PeriodBusyError, match=f"pid {holder.pid}"):
            Ledger(tmp_path).write_final("1404-08", RECORD)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    assert Ledger(tmp_path).write_final("1404-08", RECORD) == 1


def test_two_finalizes_at_once_write_one_revision(tmp_path: Path) -> None:
    """Regression: two finalizes (portal and CLI) both wrote revision 1, the second over
    the first. Threads race on write_final: exactly one wins, the other is refused."""
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []
    won: list[int] = []

    def race(n: int) -> None:
        barrier.wait()
        try:
            won.append(Ledger(tmp_path).write_final(
                "1404-08", {**RECORD, "seal": {"content_hash": f"h{n}"}}))
        except (PeriodBusyError, ImmutableStatementError) as exc:
            errors.append(exc)

    threads = [threading.Thread(target=race, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    ledger = Ledger(tmp_path)
    assert won == [1] and len(errors) == 7 and ledger.revisions("1404-08") == [1]
    winner = ledger.final("1404-08")["seal"]["content_hash"]
    assert [e["content_hash"] for e in ledger.events() if e["action"] == "finalize"] == [winner]


def test_records_are_created_exclusively_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "ledger" / "1404-08" / "final-r1.json"
    first = json.dumps({**RECORD, "revision": 1})
    create_exclusive(path, first)
    with pytest.raises(FileExistsError):
        create_exclusive(path, "second")
    assert path.read_text() == first and oct(path.stat().st_mode & 0o777) == oct(0o444)
    assert sorted(p.name for p in path.parent.iterdir()) == ["final-r1.json"]  # no temp left
    ledger = Ledger(tmp_path)
    ledger.void("1404-08", "test")
    with pytest.raises(ImmutableStatementError, match=r"finalize as revision 1 \(next is 2"):
        ledger.write_final("1404-08", RECORD, revision=1)
    assert path.read_text() == first


def test_a_final_is_fsynced_with_its_folder(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression: finals were renamed into place without fsync."""
    synced: list[str] = []
    real = os.fsync

    def spy(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real(fd)

    monkeypatch.setattr(durable.os, "fsync", spy)
    Ledger(tmp_path).write_final("1404-08", RECORD)
    folder = tmp_path / "ledger" / "1404-08"
    temp = [p for p in synced if p.startswith(str(folder / ".final-r1.json."))]
    assert temp and synced.index(temp[0]) < synced.index(str(folder))  # data, then the name
