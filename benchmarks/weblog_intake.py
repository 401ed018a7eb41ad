"""Web-log intake benchmark: pahna's `ingest --log-format nginx-combined` (parse to stored
records) against GoAccess (Debian package `goaccess`) and a bare one-thread DuckDB
regular-expression scan, on the same nginx combined file.

    PYTHONPATH=src python benchmarks/weblog_intake.py generate /tmp/access.log --lines 2000000
    PYTHONPATH=src python benchmarks/weblog_intake.py pahna /tmp/access.log   # one ingest
    PYTHONPATH=src python benchmarks/weblog_intake.py duckdb /tmp/access.log  # the bare scan
    PYTHONPATH=src python benchmarks/weblog_intake.py goaccess /tmp/access.log

Each subcommand is one whole process to time from outside (e.g. `/usr/bin/time -v`):
lines per CPU-second is the lines of the file over the process's user + system time.
`pahna` ingests into a fresh workspace each time (a stored log is never stored twice)
with polars held to one thread (POLARS_MAX_THREADS=1), so its figure is per core;
`duckdb` runs with `threads = 1`; GoAccess is single-threaded unless asked. `goaccess`
installs the Debian package when it is missing (root only).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

PATHS = ["/", "/video/ep1.mp4", "/news/1404/08/khabar", "/%D9%81%DB%8C%D9%84%D9%85/2",
         "/static/app.js", "/img/logo.png", "/api/items?page=2"]
AGENTS = ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/120.0.0.0 Safari/537.36", "curl/8.4.0",
          "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"]
STATUSES = [200, 200, 200, 206, 304, 404, 499]
COMBINED_REGEX = (r'^(\S+) \S+ \S+ \[([^\]]+)\] "(?:\S+) (\S+)(?: \S+)?" (\d{3}) (\d+|-) '
                  r'"[^"]*" "([^"]*)"')


def generate(path: Path, lines: int, seed: int = 14) -> None:
    rng = random.Random(seed)
    start = int(datetime(2025, 10, 23, tzinfo=UTC).timestamp())
    with path.open("w", encoding="ascii") as out:
        for i in range(lines):
            stamp = datetime.fromtimestamp(start + i // 20, UTC).strftime(
                "%d/%b/%Y:%H:%M:%S +0000")
            client = (f"5.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
                      if i % 50 else f"2001:db8::{rng.randrange(65536):x}")
            out.write(f'{client} - - [{stamp}] "GET {rng.choice(PATHS)} HTTP/1.1" '
                      f'{rng.choice(STATUSES)} {rng.randrange(0, 3_000_000)} "-" '
                      f'"{rng.choice(AGENTS)}"\n')


def run_pahna(log: Path) -> None:
    home = Path(tempfile.mkdtemp(prefix="pahna-weblog-"))
    env = {**os.environ, "POLARS_MAX_THREADS": "1"}
    try:
        subprocess.run([sys.executable, "-m", "pahna", "init", "--home", str(home)],
                       check=True, capture_output=True, env=env)
        subprocess.run([sys.executable, "-m", "pahna", "ingest", "--log-format",
                        "nginx-combined", "--host", "www.example.ir", str(log),
                        "--home", str(home)], check=True, env=env)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def run_duckdb(log: Path) -> None:
    import duckdb

    con = duckdb.connect()
    con.execute("SET threads = 1")
    fields = ", ".join(f"regexp_extract(line, $re, {i}) AS f{i}" for i in range(1, 7))
    count, total = con.execute(
        f"SELECT count(*), sum(TRY_CAST(f5 AS BIGINT)) FROM (SELECT {fields} FROM "
        "read_csv($file, columns = {'line': 'VARCHAR'}, delim = '\x01', quote = '', "
        "escape = '', header = false))", {"re": COMBINED_REGEX, "file": str(log)}).fetchone()
    print(f"{count} lines, {total} bytes")


def run_goaccess(log: Path) -> None:
    if shutil.which("goaccess") is None:
        subprocess.run(["apt-get", "install", "-y", "goaccess"], check=True)
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(["goaccess", str(log), "--log-format=COMBINED", "--no-global-config",
                        "-o", str(Path(folder) / "report.json")], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["generate", "pahna", "duckdb", "goaccess"])
    parser.add_argument("log", type=Path)
    parser.add_argument("--lines", type=int, default=2_000_000)
    args = parser.parse_args()
    if args.what == "generate":
        generate(args.log, args.lines)
    else:
        {"pahna": run_pahna, "duckdb": run_duckdb, "goaccess": run_goaccess}[args.what](
            args.log)


if __name__ == "__main__":
    main()
