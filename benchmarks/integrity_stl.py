"""Could a robust STL decomposition (statsmodels) stand in for the nation's days as the
seasonal baseline of `step_z`? Measured on the bench months of integrity_catch.py.

For each seed: the bench month, and the step injections of integrity_catch.py (the same
three producers, shares 0.2 and 0.5). For every producer-month, the daily flow records
are tested for a rise exactly as `integrity.counts.step_z` does (binomial z at each cut,
over the overdispersion, on the records from addresses whose claim did not change in
the month, as `step_z` reads them), against three baselines:

    nation      the nation's days (`nation_days`): what pahna ships
    stl-daily   the producer's own days with STL's weekly season taken out
                (statsmodels STL, period 7, robust=True), against even days
    stl-hourly  the producer's own hours with STL's daily season taken out (period 24,
                robust=True), summed per day, against even days

Printed per baseline: clean producer-months at or above 4 (and the largest clean value),
and step injections at or above 4, per share.

Needs statsmodels, which pahna does not depend on (install it beside to run this).

Usage:
    PYTHONPATH=src python benchmarks/integrity_stl.py [--flows 200000] [--seeds 1,2,3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

import integrity_catch as catch

from pahna.bench.flows import Population
from pahna.bench.inflation import SCENARIOS, Injection
from pahna.integrity import review as reviewing
from pahna.integrity.counts import daily, nation_days, step_z
from pahna.integrity.signals import _hourly_records

BOUND = 4.0


def stl_adjusted(series: np.ndarray, period: int) -> np.ndarray:
    """The series less STL's seasonal part (robust), never below 0."""
    from statsmodels.tsa.seasonal import STL

    fit = STL(series.astype(np.float64), period=period, robust=True).fit()
    return np.maximum(series - fit.seasonal, 0.0)


def baselines(records: dict[str, np.ndarray], pid: str) -> dict[str, float]:
    """step_z of one producer-month (its steady records: no cuts at claim changes, as
    `integrity.signals` reads them) against each baseline."""
    changes: frozenset[int] = frozenset()
    own = records[pid]
    days = len(own) // 24
    even = np.full(days, 1.0 / days)
    by_day = stl_adjusted(daily(own), 7)
    by_hour = daily(stl_adjusted(own[:days * 24], 24))
    hourly = {"stl-daily": by_day, "stl-hourly": by_hour}
    out = {"nation": step_z(own, nation_days(list(records.values())), changes)}
    for name, adjusted in hourly.items():
        spread = np.zeros(days * 24)
        spread[np.arange(days) * 24] = adjusted  # one value a day: step_z sums the hours
        out[name] = step_z(spread, even, changes)
    return out


def month_records(workspace: catch.Workspace, extra: list[Path]
                  ) -> tuple[dict[str, np.ndarray], dict[str, frozenset[int]]]:
    seen: dict[str, object] = {}
    original = reviewing.compute_signals

    def spy(usage, tables, frame, previous):  # type: ignore[no-untyped-def]
        seen["records"] = _hourly_records(tables["records"], frame, "steady_records")
        seen["changes"] = dict(frame.claim_days)
        return original(usage, tables, frame, previous)

    reviewing.compute_signals = spy
    try:
        catch.review(workspace, extra)
    finally:
        reviewing.compute_signals = original
    return seen["records"], seen["changes"]  # type: ignore[return-value]


def step_targets(real: dict[str, int], seed: int) -> list[str]:
    """The producers integrity_catch.py injects the step into for this seed."""
    rng = np.random.default_rng(seed)
    for scenario in SCENARIOS:
        chosen = catch.targets(scenario, real, rng)
        if scenario == "step":
            return [producers[0] for producers in chosen]
    raise AssertionError("no step scenario")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--flows", type=int, default=200_000)
    parser.add_argument("--seeds", default="1,2,3")
    args = parser.parse_args()
    clean: dict[str, list[float]] = {}
    caught: dict[tuple[str, float], list[bool]] = {}
    for seed in (int(s) for s in args.seeds.split(",")):
        with tempfile.TemporaryDirectory() as folder:
            workspace = catch.base_month(Path(folder) / "home", args.flows, seed)
            real = catch.month_flows(workspace, catch.PERIOD,
                                     catch.month_files(workspace, catch.PERIOD))
            records, _ = month_records(workspace, [])
            for pid in records:
                for name, z in baselines(records, pid).items():
                    clean.setdefault(name, []).append(z)
            for pid in step_targets(real, seed):
                for share in (0.2, 0.5):
                    injected = inject(workspace, Injection("step", (pid,), share),
                                      args.flows, seed, real)
                    found = baselines(injected[0], pid)
                    for name, z in found.items():
                        caught.setdefault((name, share), []).append(z >= BOUND)
    for name, values in clean.items():
        held = sum(z >= BOUND for z in values)
        print(f"{name:11} clean >= {BOUND:g}: {held} of {len(values)} (largest "
              f"{max(values):.2f}); step 20% caught {sum(caught[(name, 0.2)])} of "
              f"{len(caught[(name, 0.2)])}, 50% {sum(caught[(name, 0.5)])} of "
              f"{len(caught[(name, 0.5)])}")


def inject(workspace: catch.Workspace, injection: Injection, flows: int, seed: int,
           real: dict[str, int]) -> tuple[dict[str, np.ndarray], dict[str, frozenset[int]]]:
    """The month's records with the injection added (removed again afterwards)."""
    from pahna.calendar import JalaliMonth
    from pahna.store.writer import write_batch

    table = catch.injected_flows(JalaliMonth.parse(catch.PERIOD), injection,
                                 Population.build(seed), flows, seed, real)
    manifest = write_batch(workspace.store_dir, table, "bench-inject",
                           injection.digest(seed, catch.PERIOD, flows))
    assert manifest is not None
    extra = [workspace.store_dir / f.path for f in manifest.files]
    try:
        return month_records(workspace, extra)
    finally:
        for path in extra:
            path.unlink()
        for path in (workspace.store_dir / "manifests").glob(f"{manifest.content_hash}*"):
            path.unlink()


if __name__ == "__main__":
    main()
