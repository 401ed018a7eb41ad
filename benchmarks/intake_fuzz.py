"""Intake fuzzing, long: a million (or more) mutated datagrams built from every capture in
../shared/captures (see tests/fuzzing.py) through `pahna ingest` (as pcap files) and
through a running `pahna collect` (over loopback UDP), then a clean stream. Prints the
datagrams per second each path took and the accounting: every datagram decoded, a
duplicate, or quarantined with a reason; nothing crashed; the clean stream stored whole.

    PYTHONPATH=src python benchmarks/intake_fuzz.py --datagrams 1000000 [--seed 7]
    PYTHONPATH=src python benchmarks/intake_fuzz.py --path collect --rate 40000

Exits non-zero when any check fails.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.e2e.collector_process import flow_number, numbered_flows  # noqa: E402
from tests.fuzzing import stream  # noqa: E402
from tests.golden.pcap_writer import write_pcap  # noqa: E402

from pahna.intake.ipfix.encoder import encode_flows  # noqa: E402
from pahna.store.reader import iter_flows  # noqa: E402

PER_FILE = 100_000
CLEAN = 30_000
CLEAN_DOMAIN = 4242


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


def run_collect(shared: Path, work: Path, count: int, seed: int, rate: float) -> bool:
    home = work / "collect-home"
    pahna("init", "--home", str(home))
    process = subprocess.Popen(
        [sys.executable, "-m", "pahna", "collect", "--home", str(home), "--listen",
         "127.0.0.1:0", "--flush-interval", "1"], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, cwd=REPO)
    assert process.stderr is not None
    line = process.stderr.readline()
    while not line.startswith("listening on"):
        line = process.stderr.readline()
    port = int(line.rsplit(":", 1)[1])
    payloads = [p for _, p in stream(shared, count, seed)]
    clean = list(encode_flows(numbered_flows(0, CLEAN), domain=CLEAN_DOMAIN, template_every=20))
    started = time.perf_counter()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        sender.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8 << 20)
        for index, payload in enumerate([*payloads, *clean]):
            sender.sendto(payload, ("127.0.0.1", port))
            if index % 1000 == 999:
                ahead = (index + 1) / rate - (time.perf_counter() - started)
                if ahead > 0:
                    time.sleep(ahead)
    sent_s = time.perf_counter() - started
    spool = home / "spool"
    while list(spool.rglob("seg-*")) and process.poll() is None:
        time.sleep(0.5)
    drained_s = time.perf_counter() - started
    alive = process.poll() is None
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=600)
    total = count + len(clean)
    summary = next((x for x in err.splitlines() if x.startswith("stopped: ")), "")
    print(f"collect: {total:,} datagrams sent in {sent_s:.1f} s, all stored or accounted "
          f"{drained_s:.1f} s after the first = {total / drained_s:,.0f} datagrams/s; "
          f"alive to the end: {alive}, exit {process.returncode}")
    print(f"  {summary}")
    if process.returncode != 0 or not summary:
        print(err[-3000:])
        return False
    account = accounting(json.loads(out))
    received = int(summary.split("received ")[1].split()[0])
    dropped = (int(summary.split(" datagrams, ")[1].split()[0])
               + int(summary.split("kernel drops, ")[1].split()[0]))
    vanished = total - received - dropped
    seen = int(account["datagrams"]) + int(account["duplicates"])  # type: ignore[call-overload]
    print(f"  accounting: {json.dumps(account)}")
    numbers = Counter(flow_number(r) for b in iter_flows(home / "store")
                      for r in b.select(["observation_domain", "src_port", "dst_port"])
                      .to_pylist() if r["observation_domain"] == CLEAN_DOMAIN)
    clean_ok = sorted(numbers) == list(range(CLEAN)) and max(numbers.values()) == 1
    print(f"  received {received:,} of {total:,} ({dropped:,} dropped and counted, "
          f"{vanished:,} missing with no counter); decoded, duplicate or quarantined "
          f"{seen:,}; clean stream stored whole and once: {'yes' if clean_ok else 'NO'}")
    return alive and received == seen and clean_ok and vanished == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datagrams", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--path", choices=("ingest", "collect", "both"), default="both")
    parser.add_argument("--rate", type=float, default=30_000,
                        help="Datagrams per second sent to collect.")
    args = parser.parse_args()
    shared = Path(os.environ.get("PAHNA_SHARED", REPO.parent / "shared"))
    ok = True
    with tempfile.TemporaryDirectory(prefix="pahna-fuzz-") as folder:
        work = Path(folder)
        if args.path in ("ingest", "both"):
            ok &= run_ingest(shared, work, args.datagrams, args.seed)
        if args.path in ("collect", "both"):
            ok &= run_collect(shared, work, args.datagrams, args.seed + 1, args.rate)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
