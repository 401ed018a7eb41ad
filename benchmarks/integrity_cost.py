"""What integrity's sums cost beside usage, on the same generated month.

    PYTHONPATH=src python benchmarks/integrity_cost.py HOME --make 10000000
        generate the bench month (once) in the workspace HOME
    PYTHONPATH=src python benchmarks/integrity_cost.py HOME WHAT [--engine duckdb]
        one pass, WHAT being
        usage       usage by (producer, class, bin)
        settlement  settlement's pass (usage, received bytes, client networks)
        both        settlement's pass making integrity's sums too, as `settle` runs it
        signals     integrity's sums alone (`Engine.signals`)

Run the passes as whole processes, alternately, on the same machine in the same run
(e.g. with /usr/bin/time, A B A B ...), and compare their medians. The goal is that the
signals cost at most as much again as usage: `both` less `settlement` (what the signals
add to settle's pass) against `usage`.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from pahna.aggregate.engines import get_engine
from pahna.aggregate.queries import GROUP_KEYS, UsageQuery
from pahna.aggregate.signals import SignalRequest, SignalRules, changing_prefixes
from pahna.attribute.hosting import HostingIndex
from pahna.bench.inflation import import_bench_hosting
from pahna.bench.month import write_month
from pahna.bench.scenario import populate_registry
from pahna.calendar import JalaliMonth
from pahna.integrity.versions import hosting_versions
from pahna.registry.database import open_registry
from pahna.registry.rules import rules_from_snapshot
from pahna.settlement import month_files, month_window, rules_snapshot
from pahna.workspace import init_workspace, open_workspace

PERIOD = "1404-08"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("home", type=Path)
    parser.add_argument("what", nargs="?", choices=("usage", "settlement", "both", "signals"))
    parser.add_argument("--make", type=int, default=0, help="generate this many flows")
    parser.add_argument("--engine", default="duckdb")
    args = parser.parse_args()
    if args.make:
        workspace = init_workspace(args.home)
        populate_registry(workspace, PERIOD)
        write_month(workspace, PERIOD, args.make, 1404)
        import_bench_hosting(workspace, PERIOD)
        return
    workspace = open_workspace(args.home)
    month = JalaliMonth.parse(PERIOD)
    files = month_files(workspace, PERIOD)
    snapshot = rules_snapshot(open_registry(workspace.registry_url), month_window(month))
    rules = rules_from_snapshot(snapshot)
    query = UsageQuery(PERIOD, month.start_ms, month.end_ms, GROUP_KEYS)
    engine = get_engine(args.engine, store_dir=workspace.store_dir)
    began = time.perf_counter()
    signal_rules = SignalRules(  # as settle reviews a month (integrity.review)
        rules, HostingIndex(hosting_versions(workspace)),
        changing_prefixes(snapshot["claims"], month.start_ms, month.end_ms))
    if args.what == "usage":
        rows = engine.usage(files, query, rules).num_rows
    elif args.what == "signals":
        rows = sum(t.num_rows for t in engine.signals(files, query, signal_rules, 10).values())
    else:
        request = SignalRequest(signal_rules, 10) if args.what == "both" else None
        tables = engine.settlement(files, query, rules, request)
        rows = tables.usage.num_rows + sum(t.num_rows for t in (tables.signals or {}).values())
    print(f"{args.what}: {rows} rows in {time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()
