"""Catch rates of integrity's default policy on generated months with injected inflation.

For each seed a bench month is generated once (the bench's producers, a Tehran daily
cycle, sampling exporters; `pahna bench generate`), with the bench hosting list. Then
for every scenario of `pahna.bench.inflation` and every share, the scenario is injected
into chosen producers (three drawn per seed; a pair for collude; the six smallest for
thin), the share being of each one's flow records in the clean month as attribution
gives them (`bench.month.month_flows`: nested and time-limited claims included), and
the month is reviewed under POLICY exactly as `settle` reviews it (the engine's sums,
signals, scores, exclusions, holds). Printed per scenario and share:

    caught     share of inflated producer-months held or with an exclusion
    clean held share of clean producer-months held
    clean excl bytes excluded from clean producers

Usage:
    PYTHONPATH=src python benchmarks/integrity_catch.py [--flows 300000] [--seeds 3]
        [--first-seed 1] [--shares 0.1,0.2,0.5] [--scenarios flat,step] [--json OUT]
        [--explain] [--policy FILE]

--explain lists every inflated producer-month (caught or MISSED) and every clean
producer-month held, with its signals, and each signal's largest value on a clean
producer-month: what to read before changing a signal or a bound.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from pahna.bench.flows import Population
from pahna.bench.inflation import SCENARIOS, Injection, import_bench_hosting, injected_flows
from pahna.bench.month import month_flows, write_month
from pahna.bench.scenario import populate_registry
from pahna.calendar import JalaliMonth
from pahna.demo.scenario import demo_producers
from pahna.settle.statements import settle_period
from pahna.settlement import current_basis, month_files, settlement_inputs, workspace_currency
from pahna.store.writer import write_batch
from pahna.workspace import Workspace, init_workspace

PERIOD = "1404-08"
NESTING = {"qom-univ", "qom-startup-lab", "isf-tech"}
"""Producers whose first (IPv4) prefix holds other producers' nested claims."""
POLICY = """
[integrity]
exclude_self = true
exclude_hosting = true
exclude_reciprocity_at = "0.2"
machine_min_repeats = 10

[[integrity.holds]]
signal = "machine_share"
above = "0.05"

[[integrity.holds]]
signal = "night_ratio"
above = "1.2"

[[integrity.holds]]
signal = "step_z"
above = "4"

[[integrity.holds]]
signal = "night_z"
above = "4"

[[integrity.holds]]
signal = "record_excess"
above = "4"
"""
TARIFF = f"""\
id = "bench-integrity"
version = 1
valid_from = "1404-01"
pool_minor = 2000000000

[volume]
model = "flat"
rate_per_gb = "100000000"
billed_classes = ["domestic", "international", "unknown"]
{POLICY}"""


def base_month(folder: Path, flows: int, seed: int) -> Workspace:
    workspace = init_workspace(folder)
    populate_registry(workspace, PERIOD)
    for path in workspace.tariffs_dir.glob("*.toml"):
        path.unlink()
    (workspace.tariffs_dir / "bench-integrity.toml").write_text(TARIFF, encoding="utf-8")
    write_month(workspace, PERIOD, flows, seed, chunk_rows=max(flows // 4, 1000))
    import_bench_hosting(workspace, PERIOD)
    return workspace


def targets(scenario: str, size: dict[str, int], rng: np.random.Generator
            ) -> list[tuple[str, ...]]:
    """The producers each injection of the scenario goes to (`size`: each producer's
    flow records in the clean month, `month_flows`)."""
    ids = [d.producer.id for d in demo_producers()]
    # a month with something to inflate, and none with other producers' claims nested in
    # its first prefix (injected flows from there would be theirs: counted as clean)
    ids = [pid for pid in ids if size.get(pid, 0) >= 200 and pid not in NESTING]
    if scenario == "thin":
        return [tuple(sorted(ids, key=lambda p: size[p])[:6])]
    chosen = list(rng.choice(ids, 4, replace=False))
    if scenario == "collude":
        return [(chosen[0], chosen[1])]
    return [(pid,) for pid in chosen[:3]]


EXPLAINED = ("sent_bytes", "records", "step_ratio", "step_z", "night_ratio", "night_z",
             "network_excess", "record_excess", "machine_share")
"""The signals --explain prints for a miss or a clean hold."""
EXPLAIN: list[str] = []
"""Lines --explain prints at the end: every inflated producer-month (caught or missed)
and every clean producer-month held, with their signals."""
CLEAN_MAX: dict[str, tuple[float, str]] = {}
"""Per signal, its largest value on a clean producer-month, and where."""


def review(workspace: Workspace, extra: list[Path], label: str = "",
           bad: tuple[str, ...] = ()) -> dict[str, tuple[bool, int]]:
    """Per producer with traffic: (held, bytes excluded) for the month plus `extra`."""
    basis = current_basis(workspace, PERIOD)
    inputs, _ = settlement_inputs(workspace, PERIOD, basis,
                                  month_files(workspace, PERIOD) + extra,
                                  workspace_currency(workspace))
    settlement = settle_period(inputs)
    found = {ln.producer_id: (bool(ln.holds), sum(e.bytes for e in ln.exclusions))
             for ln in settlement.lines if ln.bytes > 0}
    signals = inputs.integrity.document["signals"] if inputs.integrity else {}
    for line in settlement.lines:
        pid = line.producer_id
        if pid not in found or pid not in signals:
            continue
        figures = " ".join(f"{name}={signals[pid].get(name)}" for name in EXPLAINED)
        reasons = ",".join(h.reason for h in line.holds) or "-"
        if pid in bad:
            caught = "caught" if found[pid][0] or found[pid][1] else "MISSED"
            EXPLAIN.append(f"{caught} {label} {pid} [{reasons}]: {figures}")
        elif pid not in bad and found[pid][0]:
            EXPLAIN.append(f"CLEAN HELD {label} {pid} [{reasons}]: {figures}")
        if pid not in bad:
            for name in EXPLAINED[2:]:
                value = float(signals[pid].get(name, 0.0))
                if value > CLEAN_MAX.get(name, (-1e300, ""))[0]:
                    CLEAN_MAX[name] = (value, f"{label} {pid}")
    return found


def run_case(workspace: Workspace, injection: Injection, flows: int, seed: int,
             population: Population, real: dict[str, int]
             ) -> tuple[int, int, int, int, int]:
    """(inflated, caught, clean, clean held or excluded, clean bytes excluded); `real`
    each producer's flow records in the clean month (the share is of them)."""
    month = JalaliMonth.parse(PERIOD)
    table = injected_flows(month, injection, population, flows, seed, real)
    manifest = write_batch(workspace.store_dir, table, "bench-inject",
                           injection.digest(seed, PERIOD, flows))
    assert manifest is not None
    extra = [workspace.store_dir / f.path for f in manifest.files]
    try:
        found = review(workspace, extra, f"seed {seed} {injection.scenario} "
                       f"{injection.share:g}", injection.producers)
    finally:
        for path in extra:
            path.unlink()
        for path in (workspace.store_dir / "manifests").glob(f"{manifest.content_hash}*"):
            path.unlink()
    bad = set(injection.producers)
    clean = [pid for pid in found if pid not in bad]
    caught = sum(found.get(pid, (False, 0))[0] or found.get(pid, (False, 0))[1] > 0
                 for pid in bad)
    return (len(bad), caught, len(clean), sum(found[pid][0] for pid in clean),
            sum(found[pid][1] for pid in clean))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--flows", type=int, default=300_000)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--shares", default="0.1,0.2,0.5")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--json", dest="json_out", default=None)
    parser.add_argument("--explain", action="store_true",
                        help="list inflated producer-months and clean holds with their "
                             "signals, and each signal's largest value on a clean month")
    parser.add_argument("--policy", default=None,
                        help="a file holding the [integrity] section to use instead")
    args = parser.parse_args()
    shares = [float(s) for s in args.shares.split(",")]
    if args.policy:
        global TARIFF
        TARIFF = TARIFF.split("[integrity]")[0] + Path(args.policy).read_text("utf-8")
    totals: dict[tuple[str, float], list[int]] = {}
    began = time.perf_counter()
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        with tempfile.TemporaryDirectory() as folder:
            workspace = base_month(Path(folder) / "home", args.flows, seed)
            population = Population.build(seed)
            real = month_flows(workspace, PERIOD, month_files(workspace, PERIOD))
            rng = np.random.default_rng(seed)
            clean_month = review(workspace, [], f"seed {seed} none")
            totals.setdefault(("none", 0.0), [0, 0, 0, 0, 0])
            row = totals[("none", 0.0)]
            row[2] += len(clean_month)
            row[3] += sum(v[0] for v in clean_month.values())
            row[4] += sum(v[1] for v in clean_month.values())
            for scenario in args.scenarios.split(","):
                for producers in targets(scenario, real, rng):
                    for share in shares:
                        case = run_case(workspace, Injection(scenario, producers, share),
                                        args.flows, seed, population, real)
                        sums = totals.setdefault((scenario, share), [0, 0, 0, 0, 0])
                        for i, value in enumerate(case):
                            sums[i] += value
    report(totals, args, time.perf_counter() - began)
    if args.explain:
        print("\n".join(EXPLAIN))
        for name, (value, where) in sorted(CLEAN_MAX.items()):
            print(f"clean max {name:15} {value:>12g}  ({where})")


def report(totals: dict[tuple[str, float], list[int]], args: argparse.Namespace,
           seconds: float) -> None:
    print(f"flows {args.flows:,} per month, seeds {args.seeds}, {seconds:.0f} s")
    print(f"{'scenario':14} {'share':>5} {'inflated':>8} {'caught':>7} {'clean':>6} "
          f"{'clean held':>10} {'clean excl bytes':>16}")
    rows = []
    for (scenario, share), (bad, caught, clean, held, excluded) in totals.items():
        rate = caught / bad if bad else 0.0
        false = held / clean if clean else 0.0
        print(f"{scenario:14} {share:>5.2f} {bad:>8} {rate:>7.1%} {clean:>6} {false:>10.1%} "
              f"{excluded:>16,}")
        rows.append({"scenario": scenario, "share": share, "inflated": bad, "caught": caught,
                     "clean": clean, "clean_held": held, "clean_excluded_bytes": excluded})
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(rows, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
