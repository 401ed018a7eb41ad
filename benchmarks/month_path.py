"""The month path beside its floor, in one run: `pahna usage` and `pahna settle` against
DuckDB alone summing the same Parquet files.

    PYTHONPATH=src python benchmarks/month_path.py --flows 10000000 [--flows 100000000]

For each size the month is generated once (`pahna bench generate`, seed 1404) into
DATA/10m etc. (default /tmp/pahna-bench, shared with engines_usage.py). Then, round after
round (default 3), each step runs as a process of its own, one after the other:

- floor: DuckDB alone, one thread, summing sampling-scaled bytes of the same Parquet
  files per (64 keys x 5-minute bin), the key a hash of the source address modulo 64;
- `pahna usage --period 1404-08 --by producer`;
- `pahna settle --period 1404-08` (a draft, with its statements).

Wall time, CPU time (user + system, all threads) and peak resident set (the process's
own, from wait4) are taken per run; the table gives medians, flows per second and the
ratios to the floor's medians. DuckDB alone with one thread per core is shown beside it
(pahna's kernel runs in one thread per core too: `[aggregate] threads`).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from engines_usage import prepare

PERIOD = "1404-08"
FLOOR = """
import duckdb, sys
from pathlib import Path
from pahna.aggregate.queries import MAX_FLOW_MS
from pahna.calendar import JalaliMonth
from pahna.store.reader import committed_files
from pahna.workspace import open_workspace
month = JalaliMonth.parse("{period}")
files = committed_files(open_workspace(Path(sys.argv[1])).store_dir,
                        month.start_ms - MAX_FLOW_MS, month.end_ms)
con = duckdb.connect()
con.execute("SET threads = {threads}")
rows = con.sql(
    "SELECT hash(src_addr) % 64 AS k, start_ms // 300000 AS b, "
    "SUM(bytes * GREATEST(sampling_rate, 1)) AS bytes FROM read_parquet(?) "
    "GROUP BY k, b", params=[[str(f) for f in files]]).fetchall()
print(len(rows))
"""


def timed(command: list[str]) -> tuple[float, int, float]:
    """(wall seconds, peak RSS in bytes, CPU seconds: user + system, all threads) of one
    run of `command`."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed")
    return seconds, usage.ru_maxrss * 1024, usage.ru_utime + usage.ru_stime


def steps(home: Path, baseline: str | None) -> dict[str, list[str]]:
    out = {"floor: DuckDB alone, one thread, 64 keys x 5-minute bin":
           [sys.executable, "-c", FLOOR.format(period=PERIOD, threads=1), str(home)],
           "DuckDB alone, one thread per core (for comparison)":
           [sys.executable, "-c", FLOOR.format(period=PERIOD, threads=os.cpu_count() or 1),
            str(home)]}
    for label, python in (("", sys.executable), (" (baseline)", baseline)):
        if python is None:
            continue
        pahna = [python, "-m", "pahna"] if python == sys.executable else [
            "env", "-u", "PYTHONPATH", python, "-m", "pahna"]  # its own pahna, not ours
        out[f"`pahna usage --by producer`{label}"] = [
            *pahna, "usage", "--period", PERIOD, "--by", "producer", "--home", str(home)]
        out[f"`pahna settle` (draft){label}"] = [
            *pahna, "settle", "--period", PERIOD, "--home", str(home)]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flows", type=int, action="append", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--data", type=Path, default=Path("/tmp/pahna-bench"))
    parser.add_argument("--baseline-python", default=None,
                        help="An interpreter with another pahna installed (e.g. the "
                        "previous version's virtual environment): its usage and settle "
                        "run in the same rounds")
    args = parser.parse_args()
    for flows in args.flows:
        home = prepare(args.data, flows)
        runs: dict[str, list[tuple[float, int, float]]] = {}
        for _ in range(args.rounds):
            for name, command in steps(home, args.baseline_python).items():
                runs.setdefault(name, []).append(timed(command))
                print(f"  {name}: {runs[name][-1][0]:.2f} s", file=sys.stderr, flush=True)
        floor = statistics.median(s for s, _, _ in next(iter(runs.values())))
        floor_cpu = statistics.median(c for _, _, c in next(iter(runs.values())))
        print(f"\n{flows:,} flows, medians of {args.rounds} runs\n")
        print("| step | wall | peak RSS | flows/s | against the floor | CPU | CPU against "
              "the floor's |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for name, results in runs.items():
            wall = statistics.median(s for s, _, _ in results)
            rss = statistics.median(r for _, r, _ in results)
            cpu = statistics.median(c for _, _, c in results)
            print(f"| {name} | {wall:.2f} s | {rss / 2**20:,.0f} MB | "
                  f"{flows / wall / 1e6:.2f} M | {wall / floor:.1f}x | {cpu:.2f} s | "
                  f"{cpu / floor_cpu:.1f}x |")
        print("\nall runs (wall s):", {n: [round(s, 2) for s, _, _ in r]
                                     for n, r in runs.items()})

if __name__ == "__main__":
    main()
