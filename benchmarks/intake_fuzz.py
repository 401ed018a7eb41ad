"""Intake fuzzing, long: a million (or more) mutated datagrams built from every capture in
../shared/captures (see tests/fuzzing.py) through `pahna ingest` (as pcap files) and
through a running `pahna collect` (over loopback UDP), then a clean stream. Prints the
datagrams per second each path took and the accounting: every datagram decoded, a
duplicate, or quarantined with a reason; nothing crashed; the clean stream stored whole.

    PYTHONPATH=src python benchmarks/intake_fuzz.py --datagrams 1000000 [--seed 7]
    PYTHONPATH=src python benchmarks/intake_fuzz.py --path collect --rate 40000 [--nice 19]

The collector is stopped once its own counters (its metrics endpoint) say that every
datagram sent was received or dropped by the kernel and every one received is settled,
never on the spool folder's look (an empty folder is seen between two segments, or while
datagrams still wait in the socket or the receive ring). Then sent = received + kernel
drops must hold exactly, from the collector's stop line. Exits non-zero when any check
fails.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.e2e.collector_process import (  # noqa: E402
    flow_number,
    numbered_flows,
    stop_counts,
)
from tests.fuzzing import stream  # noqa: E402
from tests.golden.pcap_writer import write_pcap  # noqa: E402

from pahna.intake.ipfix.encoder import encode_flows  # noqa: E402
from pahna.store.reader import iter_flows  # noqa: E402

PER_FILE = 100_000
CLEAN = 30_000
CLEAN_DOMAIN = 4242
STALL_S = 60.0
"""How long the collector's counters may stand still, everything received settled, before
the run stops waiting for datagrams that never arrive (and fails)."""


def pahna(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pahna", *args], capture_output=True,
                          text=True, check=False, cwd=REPO, **kwargs)  # type: ignore[call-overload]


def accounting(counters: dict[str, dict[str, object]]) -> dict[str, object]:
    reasons: Counter[str] = Counter()
    for values in counters.values():
        reasons.update(values["errors"])  # type: ignore[arg-type]
    total = {key: sum(int(v[key]) for v in counters.values())  # type: ignore[call-overload]
             for key in ("datagrams", "duplicates", "records", "quarantined")}
    return {**total, "reasons": dict(reasons.most_common())}


def run_ingest(shared: Path, work: Path, count: int, seed: int) -> bool:
    home, files = work / "ingest-home", work / "pcaps"
    pahna("init", "--home", str(home))
    files.mkdir()
    pairs: list[tuple[bytes, bytes]] = []
    for exporter, payload in stream(shared, count, seed):
        pairs.append((bytes([10, 99, exporter // 256, exporter % 256]), payload))
        if len(pairs) == PER_FILE:
            write_pcap(files / f"fuzz-{len(list(files.iterdir())):04d}.pcap", pairs)
            pairs = []
    if pairs:
        write_pcap(files / f"fuzz-{len(list(files.iterdir())):04d}.pcap", pairs)
    started = time.perf_counter()
    result = pahna("ingest", "--home", str(home), "--json", str(files))
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        print(f"ingest FAILED (exit {result.returncode}):\n{result.stderr[-3000:]}")
        return False
    report = json.loads(result.stdout)
    account = accounting(report["counters"])
    seen = int(account["datagrams"]) + int(account["duplicates"])  # type: ignore[call-overload]
    print(f"ingest: {count:,} datagrams in {elapsed:.1f} s = {count / elapsed:,.0f} datagrams/s "
          f"(exit 0)")
    print(f"  accounting: {json.dumps(account)}")
    ok = report["replay"]["datagrams"] == count == seen
    print(f"  every datagram decoded, a duplicate or quarantined: {'yes' if ok else 'NO'} "
          f"({seen:,} of {count:,})")
    return ok


def run_collect(shared: Path, work: Path, count: int, seed: int, rate: float,
                nice: int) -> bool:
    home = work / "collect-home"
    pahna("init", "--home", str(home))
    payloads = [p for _, p in stream(shared, count, seed)]
    clean = list(encode_flows(numbered_flows(0, CLEAN), domain=CLEAN_DOMAIN, template_every=20))
    collector = Collector(home, nice)
    machine = machine_counters()
    started = time.perf_counter()
    send_paced([*payloads, *clean], collector.port, rate)
    sent_s = time.perf_counter() - started
    total = count + len(clean)
    collector.wait_settled(total)
    settled_s = time.perf_counter() - started
    alive = collector.process.poll() is None
    out, err = collector.stop()
    moved = {k: v - machine[k] for k, v in machine_counters().items() if v != machine[k]}
    summary = next((x for x in err.splitlines() if x.startswith("stopped: ")), "")
    print(f"collect: {total:,} datagrams sent in {sent_s:.1f} s, all received, stored or "
          f"accounted {settled_s:.1f} s after the first = {total / settled_s:,.0f} "
          f"datagrams/s; alive to the end: {alive}, exit {collector.process.returncode}")
    print(f"  {summary}")
    print(f"  machine-wide counters that moved meanwhile (other work included): {moved}")
    stop = stop_counts(err)
    if collector.process.returncode != 0 or stop is None:
        print(err[-3000:])
        return False
    account = accounting(json.loads(out))
    print(f"  accounting: {json.dumps(account)}")
    return alive & check_collect(home, total, payloads, stop, account)


def check_collect(home: Path, total: int, payloads: list[bytes], stop: dict[str, int],
                  account: dict[str, object]) -> bool:
    """sent = received + kernel drops; received = decoded or quarantined + duplicates +
    lost to a full spool or a failed write; nothing left unread at close; every empty
    datagram quarantined as `empty`; the clean stream stored whole and once."""
    received, drops = stop["received"], stop["kernel_drops"]
    vanished = total - received - drops
    seen = int(str(account["datagrams"])) + int(str(account["duplicates"]))
    settled = seen + stop["spool_full"] + stop["write_failed"]
    empties = sum(1 for p in payloads if not p)
    reasons = account["reasons"]
    assert isinstance(reasons, dict)
    numbers = Counter(flow_number(r) for b in iter_flows(home / "store")
                      for r in b.select(["observation_domain", "src_port", "dst_port"])
                      .to_pylist() if r["observation_domain"] == CLEAN_DOMAIN)
    clean_ok = sorted(numbers) == list(range(CLEAN)) and max(numbers.values()) == 1
    print(f"  sent {total:,} = received {received:,} + kernel drops {drops:,} + {vanished:,} "
          f"missing with no counter")
    print(f"  received {received:,} = {seen:,} decoded, quarantined or duplicates + "
          f"{stop['spool_full']:,} spool full + {stop['write_failed']:,} failed writes: "
          f"{'yes' if settled == received else 'NO'}; {stop['unread_bytes']:,} bytes unread "
          f"at close")
    print(f"  {empties:,} empty datagrams sent, {reasons.get('empty', 0):,} quarantined as "
          f"empty; clean stream stored whole and once: {'yes' if clean_ok else 'NO'}")
    empty_ok = reasons.get("empty", 0) == empties or drops > 0
    return (vanished == 0 and settled == received and stop["unread_bytes"] == 0 and empty_ok
            and clean_ok)


def send_paced(payloads: list[bytes], port: int, rate: float) -> None:
    started = time.perf_counter()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        sender.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8 << 20)
        for index, payload in enumerate(payloads):
            sender.sendto(payload, ("127.0.0.1", port))
            if index % 1000 == 999:
                ahead = (index + 1) / rate - (time.perf_counter() - started)
                if ahead > 0:
                    time.sleep(ahead)


class Collector:
    """A running `pahna collect` with its metrics endpoint; its stderr is read as it
    comes (flush lines must never fill the pipe and stall the flusher)."""

    def __init__(self, home: Path, nice: int) -> None:
        command = [sys.executable, "-m", "pahna", "collect", "--home", str(home), "--listen",
                   "127.0.0.1:0", "--flush-interval", "1", "--metrics", "127.0.0.1:0"]
        self.process = subprocess.Popen(["nice", "-n", str(nice), *command] if nice else command,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True, cwd=REPO)
        assert self.process.stderr is not None
        self.lines: list[str] = []
        while not (line := self.process.stderr.readline()).startswith("listening on"):
            if not line:
                raise SystemExit(f"pahna collect did not start: {''.join(self.lines)}")
            self.lines.append(line)
            if line.startswith("metrics on"):
                self.metrics = int(line.rsplit("(port ", 1)[1].rstrip(")\n"))
        self.port = int(line.rsplit(":", 1)[1])
        self.reader = threading.Thread(target=self.lines.extend, args=(self.process.stderr,))
        self.reader.start()

    def scrape(self) -> dict[str, int]:
        """Counters summed over exporters, by metric name."""
        url = f"http://127.0.0.1:{self.metrics}/metrics"
        with urllib.request.urlopen(url, timeout=30) as reply:
            page = reply.read().decode()
        out: Counter[str] = Counter()
        for name, value in re.findall(r"^pahna_(\w+)(?:\{[^}]*\})? (\d+)$", page, re.M):
            out[name] += int(value)
        return dict(out)

    def wait_settled(self, sent: int) -> None:
        """Until the collector's own counters say that every datagram sent was received or
        dropped by the kernel, and every one received decoded, quarantined, a duplicate or
        lost to the spool (counted); or, if some never arrive, until nothing has moved
        for STALL_S with everything received settled."""
        last: tuple[int, ...] = ()
        moved = time.monotonic()
        while self.process.poll() is None:
            m = self.scrape()
            taken = m["collector_received_total"] + m["collector_kernel_drops_total"]
            settled = (m.get("intake_datagrams_total", 0) + m.get("intake_duplicates_total", 0)
                       + m["collector_spool_full_datagrams"]
                       + m["collector_write_failed_datagrams"])
            if taken >= sent and settled >= m["collector_received_total"]:
                return
            if (taken, settled) != last:
                last, moved = (taken, settled), time.monotonic()
            elif settled >= m["collector_received_total"] and time.monotonic() - moved > STALL_S:
                return
            time.sleep(0.5)

    def stop(self) -> tuple[str, str]:
        """SIGTERM; the JSON counters and the whole of stderr."""
        self.process.send_signal(signal.SIGTERM)
        assert self.process.stdout is not None
        out = self.process.stdout.read()
        self.process.wait(timeout=3600)
        self.reader.join()
        return out, "".join(self.lines)


def machine_counters() -> dict[str, int]:
    """The loopback device's drops, the softnet backlog's drops and the UDP error counters
    of /proc/net/snmp: where a datagram lost before any socket would show (machine-wide:
    other work moves them too)."""
    softnet = Path("/proc/net/softnet_stat").read_text().splitlines()
    out = {"lo rx_dropped": int(Path("/sys/class/net/lo/statistics/rx_dropped").read_text()),
           "softnet dropped": sum(int(line.split()[1], 16) for line in softnet)}
    rows = [line.split() for line in Path("/proc/net/snmp").read_text().splitlines()
            if line.startswith("Udp:")]
    out.update({f"Udp {k}": int(v) for k, v in zip(rows[0][1:], rows[1][1:], strict=True)
                if k in ("InErrors", "RcvbufErrors", "MemErrors", "NoPorts", "InCsumErrors")})
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datagrams", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--path", choices=("ingest", "collect", "both"), default="both")
    parser.add_argument("--rate", type=float, default=30_000,
                        help="Datagrams per second sent to collect.")
    parser.add_argument("--nice", type=int, default=0,
                        help="Run the collector at this niceness (the sender stays at 0).")
    args = parser.parse_args()
    shared = Path(os.environ.get("PAHNA_SHARED", REPO.parent / "shared"))
    ok = True
    with tempfile.TemporaryDirectory(prefix="pahna-fuzz-") as folder:
        work = Path(folder)
        if args.path in ("ingest", "both"):
            ok &= run_ingest(shared, work, args.datagrams, args.seed)
        if args.path in ("collect", "both"):
            ok &= run_collect(shared, work, args.datagrams, args.seed + 1, args.rate,
                              args.nice)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
