"""The collector race: `pahna collect` against nfdump's nfcapd on the same IPFIX stream.

    PYTHONPATH=src python benchmarks/collector_race.py                 # every rate, 3 runs
    PYTHONPATH=src python benchmarks/collector_race.py --rates 9 --runs 1 --burner

The stream: 9,000,000 IPv4 flow records in IPFIX messages of 30 records (1,400 bytes,
a router-like template of 12 fields), the template in a message of its own first and
again every 1,000 messages. A C sender (`benchmarks/race_sender.c`, compiled here with
gcc into a temporary folder) sends it over loopback with sendmmsg at a fixed rate. Each
collector runs pinned to one core (--collector-cpu) and the sender to the other
(--sender-cpu); pahna then nfcapd at the same rate, each rate over --runs runs.

Counted for each collector, from what it stored once it had finished: records and the
sum of their octets against what was sent (pahna: its store's manifests and Parquet
files; nfcapd: `nfdump -R DIR -s proto -N` totals), the kernel's drop counter for its
socket (/proc/net/udp), its CPU seconds from the first datagram to the end (process
and threads, from /proc: the whole process, receive + decode + write), and how long it
took after the last datagram was sent to have stored everything. `--burner` adds other
work: a busy loop pinned to the collector's core from before the first datagram until
two seconds after the last.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from pahna.store.manifests import read_manifests

RECORDS_PER_MESSAGE = 30
TEMPLATE_EVERY = 1_000
TEMPLATE_ID = 300
EXPORT_S = 1_760_000_000
# (information element, length): a router-like IPv4 template of 46 bytes a record.
FIELDS = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (6, 1), (1, 4), (2, 4),
          (152, 8), (153, 8), (10, 4), (14, 4)]
TICKS = os.sysconf("SC_CLK_TCK")
HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Stream:
    path: Path
    datagrams: int
    records: int
    octets: int


@dataclass
class Outcome:
    collector: str
    rate: float
    stored: int
    octets: int
    kernel_drops: int
    cpu_s: float
    drain_s: float
    send_s: float


def _records(first: int, count: int) -> np.ndarray:
    dtype = np.dtype([("src", ">u4"), ("dst", ">u4"), ("sport", ">u2"), ("dport", ">u2"),
                      ("proto", "u1"), ("flags", "u1"), ("octets", ">u4"), ("packets", ">u4"),
                      ("start", ">u8"), ("end", ">u8"), ("in_if", ">u4"), ("out_if", ">u4")])
    n = np.arange(first, first + count, dtype=np.uint64)
    out = np.zeros(count, dtype=dtype)
    out["src"] = 0x0A000000 + (n & 0xFFFFFF)
    out["dst"] = 0xC0000200 + (n % 250)
    out["sport"], out["dport"], out["proto"], out["flags"] = n & 0xFFFF, 443, 6, 0x18
    out["packets"] = 1 + n % 7
    out["octets"] = out["packets"].astype(np.uint64) * (40 + n % 1400)
    out["end"] = EXPORT_S * 1000 - 1000 - (n % 60_000)
    out["start"] = out["end"].astype(np.uint64) - 5_000
    out["in_if"], out["out_if"] = 1, 2
    return out


def _template_message(sequence: int) -> bytes:
    body = TEMPLATE_ID.to_bytes(2, "big") + len(FIELDS).to_bytes(2, "big")
    body += b"".join(e.to_bytes(2, "big") + n.to_bytes(2, "big") for e, n in FIELDS)
    sets = (2).to_bytes(2, "big") + (4 + len(body)).to_bytes(2, "big") + body
    return _header(16 + len(sets), sequence) + sets


def _header(length: int, sequence: int) -> bytes:
    return b"".join([(10).to_bytes(2, "big"), length.to_bytes(2, "big"),
                     EXPORT_S.to_bytes(4, "big"), (sequence % 2**32).to_bytes(4, "big"),
                     (1).to_bytes(4, "big")])


def write_stream(path: Path, records: int) -> Stream:
    """The stream file the sender reads: each datagram after its u32 LE length."""
    messages = records // RECORDS_PER_MESSAGE
    octets, datagrams = 0, 0
    length = 16 + 4 + RECORDS_PER_MESSAGE * 46
    with path.open("wb") as out:
        for first in range(0, messages, TEMPLATE_EVERY):
            count = min(TEMPLATE_EVERY, messages - first)
            template = _template_message(first * RECORDS_PER_MESSAGE)
            out.write(len(template).to_bytes(4, "little") + template)
            block = _records(first * RECORDS_PER_MESSAGE, count * RECORDS_PER_MESSAGE)
            octets += int(block["octets"].sum(dtype=np.uint64))
            frame = np.zeros((count, 4 + length), dtype=np.uint8)
            frame[:, :4] = np.frombuffer(length.to_bytes(4, "little"), dtype=np.uint8)
            heads = b"".join(_header(length, (first + i) * RECORDS_PER_MESSAGE)
                             + TEMPLATE_ID.to_bytes(2, "big") + (length - 16).to_bytes(2, "big")
                             for i in range(count))
            frame[:, 4:24] = np.frombuffer(heads, dtype=np.uint8).reshape(count, 20)
            frame[:, 24:] = block.view(np.uint8).reshape(count, -1)
            out.write(frame.tobytes())
            datagrams += count + 1
    return Stream(path, datagrams, messages * RECORDS_PER_MESSAGE, octets)


def build_sender(folder: Path) -> Path:
    binary = folder / "race_sender"
    subprocess.run(["gcc", "-O2", "-Wall", "-o", str(binary), str(HERE / "race_sender.c")],
                   check=True)
    return binary


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (all its threads) and its reaped children."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / TICKS


def udp_sockets(port: int) -> list[tuple[int, int]]:
    """(receive queue bytes, drops) of every UDP socket bound to this local port."""
    out = []
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port:
                out.append((int(fields[4].split(":")[1], 16), int(fields[-1])))
    return out


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def pinned(cpu: int) -> list[str]:
    return ["taskset", "-c", str(cpu)]


def send(sender: Path, stream: Stream, port: int, rate: float, cpu: int,
         burn: int | None = None) -> float:
    """Send the stream; with `burn`, a busy loop on that core from before the first
    datagram until two seconds after the last (other work while receiving)."""
    busy = None if burn is None else subprocess.Popen(
        [*pinned(burn), sys.executable, "-c", "while True: pass"])
    try:
        return _send(sender, stream, port, rate, cpu)
    finally:
        if busy is not None:
            time.sleep(2.0)
            busy.kill()
            busy.wait()


def _send(sender: Path, stream: Stream, port: int, rate: float, cpu: int) -> float:
    done = subprocess.run([*pinned(cpu), str(sender), str(stream.path), "127.0.0.1", str(port),
                           str(rate / RECORDS_PER_MESSAGE)],
                          capture_output=True, text=True, check=True)
    return float(done.stdout.split()[4])


def wait_stored(stored: Callable[[], int], target: int, held: Callable[[], int],
                settle_s: float, limit_s: float) -> float:
    """Poll until `stored()` reaches target; or, once the collector `held()` nothing more,
    until `stored()` stopped moving for settle_s; returns the seconds it took."""
    started = time.monotonic()
    last, moved = -1, started
    while time.monotonic() - started < limit_s:
        now = stored()
        if now >= target:
            break
        if now != last or held() > 0:
            last, moved = now, time.monotonic()
        elif time.monotonic() - moved > settle_s:
            break
        time.sleep(0.2)
    return time.monotonic() - started


def spooled(home: Path) -> int:
    """Bytes the collector still holds in its spool (it is working while this moves)."""
    total = 0
    for path in home.glob("spool/*/seg-*"):
        try:
            total += path.stat().st_size
        except FileNotFoundError:  # consumed meanwhile
            continue
    return total


def store_totals(home: Path) -> tuple[int, int]:
    """Records and octets of every committed batch (manifests, checked against Parquet)."""
    manifests = read_manifests(home / "store")
    records = sum(m.records for m in manifests)
    octets = sum(m.bytes for m in manifests)
    rows = sum(pq.ParquetFile(home / "store" / f.path).metadata.num_rows
               for m in manifests for f in m.files)
    if rows != records:
        raise SystemExit(f"store of {home}: manifests say {records} records, files {rows}")
    return records, octets


def run_pahna(args: argparse.Namespace, sender: Path, stream: Stream, rate: float,
              work: Path) -> Outcome:
    home = work / "pahna-home"
    shutil.rmtree(home, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "pahna", "init", "--home", str(home)], check=True,
                   capture_output=True)
    config = home / "pahna.toml"
    config.write_text(config.read_text().replace(
        "receive_buffer_bytes = 33554432", f"receive_buffer_bytes = {args.buffer}"))
    port = free_udp_port()
    command = [*pinned(args.collector_cpu), sys.executable, "-m", "pahna", "collect",
               "--home", str(home), "--listen", f"127.0.0.1:{port}",
               "--flush-interval", str(args.flush_interval), *args.pahna_args.split()]
    log = (work / "pahna.log").open("w")
    daemon = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True)
    assert daemon.stderr is not None
    while not daemon.stderr.readline().startswith("listening"):
        if daemon.poll() is not None:
            raise SystemExit(f"pahna collect exited: {daemon.stderr.read()}")
    time.sleep(1.0)
    idle = cpu_seconds(daemon.pid)
    send_s = send(sender, stream, port, rate, args.sender_cpu,
                  args.collector_cpu if args.burner else None)
    drain = wait_stored(lambda: store_totals(home)[0], stream.records, lambda: spooled(home),
                        args.settle, args.limit)
    busy = cpu_seconds(daemon.pid) - idle
    drops = sum(d for _, d in udp_sockets(port))
    daemon.send_signal(signal.SIGTERM)
    _, err = daemon.communicate(timeout=600)
    log.write(err)
    log.close()
    stored, octets = store_totals(home)
    return Outcome("pahna", rate, stored, octets, drops, busy, drain, send_s)


def nfdump_totals(folder: Path) -> tuple[int, int]:
    out = subprocess.run(["nfdump", "-R", str(folder), "-s", "proto", "-N", "-n", "1"],
                         capture_output=True, text=True, check=True).stdout
    summary = next(line for line in out.splitlines() if line.startswith("Summary:"))
    values = dict(part.strip().split(": ") for part in summary.split(":", 1)[1].split(","))
    return int(values["total flows"]), int(values["total bytes"])


def run_nfcapd(args: argparse.Namespace, sender: Path, stream: Stream, rate: float,
               work: Path) -> Outcome:
    folder = work / "nfcapd"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    port = free_udp_port()
    daemon = subprocess.Popen([*pinned(args.collector_cpu), "nfcapd", "-b", "127.0.0.1",
                               "-p", str(port), "-w", str(folder), "-t", "3600",
                               "-B", str(args.buffer)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not udp_sockets(port) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)
    idle = cpu_seconds(daemon.pid)
    send_s = send(sender, stream, port, rate, args.sender_cpu,
                  args.collector_cpu if args.burner else None)
    drain = wait_idle(daemon.pid, port, args.limit)
    busy = cpu_seconds(daemon.pid) - idle
    drops = sum(d for _, d in udp_sockets(port))
    daemon.send_signal(signal.SIGTERM)
    daemon.wait(timeout=120)
    stored, octets = nfdump_totals(folder)
    return Outcome("nfcapd", rate, stored, octets, drops, busy, drain, send_s)


def wait_idle(pid: int, port: int, limit_s: float) -> float:
    """nfcapd writes its file at rotation or stop: it is done when its socket is empty
    and it has used no CPU for half a second."""
    started = time.monotonic()
    last = -1.0
    while time.monotonic() - started < limit_s:
        queued = sum(q for q, _ in udp_sockets(port))
        used = cpu_seconds(pid)
        if queued == 0 and used == last:
            break
        last = used
        time.sleep(0.5)
    return max(0.0, time.monotonic() - started - 0.5)


@contextlib.contextmanager
def rmem_max_at_least(size: int) -> Iterator[None]:
    """Raise net.core.rmem_max to `size` for the run (when lower and writable)."""
    knob = Path("/proc/sys/net/core/rmem_max")
    before = int(knob.read_text())
    try:
        if before < size:
            knob.write_text(str(size))
            print(f"net.core.rmem_max raised from {before} to {size} for the run")
    except OSError as error:
        print(f"net.core.rmem_max stays {before} ({error}): nfcapd's buffer is capped by it")
    try:
        yield
    finally:
        if int(knob.read_text()) != before:
            knob.write_text(str(before))


def report(outcome: Outcome, stream: Stream) -> str:
    share = outcome.stored / stream.records
    return (f"{outcome.rate / 1e6:>4.1f} M/s {outcome.collector:<7} stored "
            f"{outcome.stored:>9,}/{stream.records:,} ({share:7.2%}) octets "
            f"{'exact' if outcome.octets == stream.octets else f'{outcome.octets:,}'} "
            f"kernel drops {outcome.kernel_drops:>7,} cpu {outcome.cpu_s:6.2f} s "
            f"({outcome.stored / max(outcome.cpu_s, 1e-9) / 1e6:5.2f} M rec/cpu-s) "
            f"sent in {outcome.send_s:5.2f} s ({stream.records / outcome.send_s / 1e6:.2f} M/s), "
            f"stored {outcome.drain_s:5.1f} s later; load {os.getloadavg()[0]:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=9_000_000)
    parser.add_argument("--rates", default="1.8,2.7,3.6,4.5,6,9",
                        help="M records/s, comma-separated")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--collectors", default="pahna,nfcapd")
    parser.add_argument("--collector-cpu", type=int, default=1)
    parser.add_argument("--sender-cpu", type=int, default=0)
    parser.add_argument("--burner", action="store_true",
                        help="other work: a busy loop on the collector's core from before "
                             "the first datagram until 2 s after the last")
    parser.add_argument("--buffer", type=int, default=32 << 20,
                        help="socket receive buffer asked by both: nfcapd -B, pahna "
                             "[collector] receive_buffer_bytes (its default, 32 MiB); "
                             "net.core.rmem_max is raised to it for the run when lower, so "
                             "nfcapd (SO_RCVBUF) gets what pahna (SO_RCVBUFFORCE) gets")
    parser.add_argument("--flush-interval", type=float, default=1.0)
    parser.add_argument("--pahna-args", default="", help="more `pahna collect` options")
    parser.add_argument("--settle", type=float, default=8.0,
                        help="seconds without progress after which a collector is done")
    parser.add_argument("--limit", type=float, default=300.0)
    parser.add_argument("--receive-only", action="store_true",
                        help="time pahna's receive path alone, in this process, into a spool")
    parser.add_argument("--work", default=None, help="folder for the stream and stores")
    args = parser.parse_args()
    runners = {"pahna": run_pahna, "nfcapd": run_nfcapd}
    with tempfile.TemporaryDirectory(prefix="pahna-race-", dir=args.work) as tmp, \
            rmem_max_at_least(args.buffer):
        work = Path(tmp)
        sender = build_sender(work)
        stream = write_stream(work / "stream.bin", args.records)
        print(f"stream: {stream.records:,} records, {stream.octets:,} octets, "
              f"{stream.datagrams:,} datagrams ({stream.path.stat().st_size / 1e6:.0f} MB); "
              f"collectors on cpu {args.collector_cpu}, sender on cpu {args.sender_cpu}"
              f"{', burner on the collectors core' if args.burner else ''}; "
              f"load {os.getloadavg()[0]:.2f}", flush=True)
        if args.receive_only:
            receive_only(args, sender, stream, work)
            return
        results: list[Outcome] = []
        for rate in (float(r) * 1e6 for r in args.rates.split(",")):
            for _ in range(args.runs):
                for name in args.collectors.split(","):
                    outcome = runners[name](args, sender, stream, rate, work)
                    results.append(outcome)
                    print(report(outcome, stream), flush=True)
        summarize(results, stream)


def receive_only(args: argparse.Namespace, sender: Path, stream: Stream, work: Path) -> None:
    """The receive path alone, in this process: the stream into a spool, no decoding
    (PAHNA_RECEIVER=python picks the Python loop)."""
    from pahna.intake.receiver import SpoolBounds, compiled, open_receiver
    from pahna.intake.sockets import ListenAddress, kernel_drops, open_socket

    os.sched_setaffinity(0, {args.collector_cpu})
    for rate in (float(r) * 1e6 for r in args.rates.split(",")):
        spool = work / "spool"
        shutil.rmtree(spool, ignore_errors=True)
        sock = open_socket(ListenAddress("127.0.0.1", 0), args.buffer)
        receiver = open_receiver([sock], spool, SpoolBounds())
        started, main_started = time.process_time(), time.thread_time()
        receiver.start()
        send_s = send(sender, stream, sock.getsockname()[1], rate, args.sender_cpu)
        deadline = time.monotonic() + 30
        while receiver.counters()["datagrams"] + kernel_drops([sock]) < stream.datagrams and (
                time.monotonic() < deadline):
            time.sleep(0.05)
        receiver.stop()
        # the receive path's threads: the process's CPU less this (waiting) thread's
        cpu = time.process_time() - started - (time.thread_time() - main_started)
        got = receiver.counters()["datagrams"]
        print(f"{rate / 1e6:>4.1f} M/s {'compiled' if compiled() else 'python'} receive path: "
              f"{got:,}/{stream.datagrams:,} datagrams spooled, kernel drops "
              f"{kernel_drops([sock]):,}, {cpu:.2f} CPU s = {cpu / max(got, 1) * 1e6:.2f} us "
              f"a datagram; sent in {send_s:.2f} s", flush=True)
        sock.close()


def summarize(results: list[Outcome], stream: Stream) -> None:
    print("medians over runs (stored share; M records per CPU-second):")
    for rate in sorted({r.rate for r in results}):
        cells = []
        for name in sorted({r.collector for r in results}):
            mine = [r for r in results if r.rate == rate and r.collector == name]
            shares = ", ".join(f"{r.stored / stream.records:.2%}" for r in mine)
            share = statistics.median(r.stored for r in mine) / stream.records
            per_cpu = statistics.median(r.stored / max(r.cpu_s, 1e-9) for r in mine) / 1e6
            cells.append(f"{name} {share:.2%} [{shares}] {per_cpu:.2f}")
        print(f"  {rate / 1e6:4.1f} M/s: " + " | ".join(cells))


if __name__ == "__main__":
    main()
