"""Store benchmark: finding one day's batches in a store of many small batches, through
the manifests' index against parsing every manifest (what every query did before).

    PYTHONPATH=src python benchmarks/store_index.py build DIR [--days 30] [--per-day 500]
    PYTHONPATH=src python benchmarks/store_index.py scan DIR     # every manifest parsed
    PYTHONPATH=src python benchmarks/store_index.py index DIR    # the day's index file
    PYTHONPATH=src python benchmarks/store_index.py compact DIR  # then `index` again

`build` commits DAYS x PER_DAY one-row batches (a collector's 5-second batches, small);
`scan` and `index` print how many batches of the middle day they found (the same).
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

from tests.unit.store.test_store_writer import flows

from pahna.store.compaction import compact_day, plan
from pahna.store.layout import DAY_MS
from pahna.store.manifests import read_manifests
from pahna.store.reader import window_manifests
from pahna.store.writer import write_batch

DAY0 = 20_000


def build(store: Path, days: int, per_day: int) -> None:
    for day in range(DAY0, DAY0 + days):
        for n in range(per_day):
            name = hashlib.sha256(f"{day}:{n}".encode()).hexdigest()
            write_batch(store, flows([day * DAY_MS + n * 5000]), "bench", name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["build", "scan", "index", "compact"])
    parser.add_argument("store", type=Path)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--per-day", type=int, default=500)
    args = parser.parse_args()
    day = DAY0 + args.days // 2
    window = (day * DAY_MS, (day + 1) * DAY_MS)
    if args.what == "build":
        build(args.store, args.days, args.per_day)
    elif args.what == "scan":
        found = [m for m in read_manifests(args.store) if m.start_ms is not None
                 and m.end_ms is not None and m.start_ms < window[1] and m.end_ms >= window[0]]
        print(len(found))
    elif args.what == "index":
        print(len(window_manifests(args.store, *window)))
    else:
        for day_plan in plan(args.store):
            compact_day(args.store, day_plan)


if __name__ == "__main__":
    main()
