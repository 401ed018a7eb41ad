"""Signals, exclusions and holds of the hand-made month (conftest.py), each figure worked
out by hand from the flows, not by the code under test."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from tests.unit.integrity.conftest import MONTH, PRODUCERS, QUERY, rules, signal_rules

from pahna.aggregate.engines import get_engine
from pahna.integrity.decisions import exclusions, holds, remove_excluded
from pahna.integrity.policy import IntegrityPolicy
from pahna.integrity.records import Exclusion, Hold
from pahna.integrity.scores import baselines, scores
from pahna.integrity.signals import MonthFrame, Signals, compute_signals
from pahna.schema import BIN_MS
from pahna.settle.usage import ProducerUsage, assemble_usage

FRAME = MonthFrame(MONTH.start_ms, (MONTH.end_ms - MONTH.start_ms) // BIN_MS)


def month(files: list[Path], min_repeats: int = 3):  # type: ignore[no-untyped-def]
    engine = get_engine("duckdb")
    sums = engine.settlement(files, QUERY, rules())
    counted = assemble_usage(PRODUCERS, sums.usage, sums.received, sums.client_networks,
                             sums.intra_province_bytes)
    tables = engine.signals(files, QUERY, signal_rules(), min_repeats)
    return counted, sums.usage, tables


def signals_of(files: list[Path]) -> dict[str, Signals]:
    counted, _, tables = month(files)
    return compute_signals(counted, tables, FRAME, {"alpha": 2650})


def r6(value: float) -> float:
    return round(value, 6)


def test_shares_of_self_peer_hosting_and_machine_traffic(month_files: list[Path]) -> None:
    alpha = signals_of(month_files)["alpha"]
    sent = 1000 + 1000 + 2000 + 500 + 300 + 200 + 300
    assert alpha.sent_bytes == sent == 5300
    assert (alpha.self_bytes, alpha.peer_bytes, alpha.hosting_bytes, alpha.machine_bytes) == (
        500, 300, 200, 300)
    assert alpha.self_share == r6(500 / 5300)
    assert alpha.peer_share == r6(300 / 5300)
    assert alpha.hosting_share == r6(200 / 5300)
    assert alpha.machine_share == r6(300 / 5300)
    assert (alpha.max_reciprocity, alpha.reciprocal_peer) == (0.5, "beta")  # 150 / 300
    assert alpha.growth == r6(5300 / 2650 - 1) == 1.0
    # received: beta's 150 and its own 500 (a destination inside its claims)
    assert alpha.send_receive_ratio == r6(5300 / 650)


def test_client_concentration(month_files: list[Path]) -> None:
    alpha = signals_of(month_files)["alpha"]
    shares = [b / 5300 for b in (2000, 2000, 500, 300, 300, 200)]
    assert alpha.client_networks == 6
    assert alpha.top10_share == 1.0
    assert alpha.herfindahl == r6(sum(s * s for s in shares))
    assert alpha.entropy == r6(-sum(s * math.log(s) for s in shares) / math.log(6))
    # the largest network (2000) set aside: 2000, 500, 300, 300, 200 of 3300, times 5
    rest = [b / 3300 for b in (2000, 500, 300, 300, 200)]
    assert alpha.network_excess == r6(5 * sum(s * s for s in rest))
    # records per network: 2, 1, 1, 1, 3, 1; the 3 set aside: 2, 1, 1, 1, 1 of 6, times 5
    assert alpha.records == 9
    assert alpha.record_excess == r6(5 * (4 + 1 + 1 + 1 + 1) / 36)
    gamma = signals_of(month_files)["gamma"]
    assert (gamma.client_networks, gamma.top10_share, gamma.herfindahl, gamma.entropy,
            gamma.network_excess) == (1, 1.0, 1.0, 0.0, 0.0)


def test_network_excess_is_one_for_an_even_audience_and_ignores_the_largest() -> None:
    from pahna.integrity.signals import network_excess

    assert network_excess(np.full(50, 1 / 50)) == 1.0
    assert network_excess(np.array([0.9, 0.05, 0.05])) == 1.0  # one huge network alone
    # [0.3, 0.1, 0.1, 0.1] over 0.6: 0.25 + 3 / 36, times 4
    assert network_excess(np.array([0.4, 0.3, 0.1, 0.1, 0.1])) == r6(4 * (0.25 + 3 / 36))


def test_a_producer_with_no_traffic_has_zero_signals(month_files: list[Path]) -> None:
    counted, _, tables = month(month_files)
    quiet = compute_signals([*counted, ProducerUsage(replace(PRODUCERS[2], id="idle"))],
                            tables, FRAME, {})["idle"]
    assert quiet.sent_bytes == 0 and quiet.self_share == 0 and quiet.flatness == 0
    assert quiet.top10_share == 0 and quiet.client_networks == 0


POLICY = IntegrityPolicy(exclude_self=True, exclude_hosting=True,
                         exclude_reciprocity_at="0.5", machine_min_repeats=3,
                         holds=({"signal": "machine_share", "above": "0.05"},))


def test_exclusions_take_bytes_out_before_pricing(month_files: list[Path]) -> None:
    counted, usage, tables = month(month_files)
    signals = compute_signals(counted, tables, FRAME, {})
    found, cells = exclusions(tables["excludable"], tables["peers"], signals, POLICY)
    assert found == {
        "alpha": (Exclusion("self_traffic", 500, str(r6(500 / 5300)), ""),
                  Exclusion("reciprocal_traffic", 300, "0.5", "0.5", "beta"),
                  Exclusion("hosting_clients", 200, str(r6(200 / 5300)), "")),
        "beta": (Exclusion("reciprocal_traffic", 150, "0.5", "0.5", "alpha"),)}
    left = remove_excluded(usage, cells)
    assert left.schema == usage.schema
    totals = {r["producer_id"]: r["bytes"] for r in left.to_pylist()}
    assert totals == {"alpha": 5300 - 1000, "beta": 1000 - 150, "gamma": 800, None: 999}


def test_reciprocity_below_the_threshold_is_not_excluded(month_files: list[Path]) -> None:
    counted, _, tables = month(month_files)
    signals = compute_signals(counted, tables, FRAME, {})
    strict = IntegrityPolicy(exclude_self=True, exclude_hosting=True,
                             exclude_reciprocity_at="0.6")
    found, _ = exclusions(tables["excludable"], tables["peers"], signals, strict)
    assert [e.reason for e in found["alpha"]] == ["self_traffic", "hosting_clients"]
    assert "beta" not in found


def test_holds_name_reason_figure_baseline_and_threshold(month_files: list[Path]) -> None:
    counted, _, tables = month(month_files)
    signals = compute_signals(counted, tables, FRAME, {})
    bases = baselines(signals)
    found = holds(signals, scores(signals, bases), bases, POLICY)
    # public centres: alpha 300/5300, beta 0 -> median of the two
    median = r6((r6(300 / 5300) + 0) / 2)
    assert found == {"alpha": (Hold("machine_share_above", "machine_share",
                                    str(r6(300 / 5300)), str(median), "0.05"),)}


def test_a_hold_only_above_its_volume(month_files: list[Path]) -> None:
    counted, _, tables = month(month_files)
    signals = compute_signals(counted, tables, FRAME, {})
    bases = baselines(signals)
    policy = IntegrityPolicy(holds=({"signal": "machine_share", "above": "0.05",
                                     "min_sent_bytes": 5301},))
    assert holds(signals, scores(signals, bases), bases, policy) == {}


@pytest.mark.parametrize("rule", [{"signal": "flatness"},
                                  {"signal": "flatness", "above": "0.5", "below": "0.1"},
                                  {"signal": "nonsense", "above": "1"},
                                  {"signal": "flatness", "above": 0.5}])
def test_a_hold_rule_needs_one_exact_bound(rule: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        IntegrityPolicy(holds=(rule,))


def test_step_z_reads_flow_records_against_the_nations_days(tmp_path: Path) -> None:
    """alpha sends 10 flows a day, 20 from day 15; beta 10 a day all month. The nation's
    days are the mean of their shares (two producers: nothing to trim): 1/36 a day
    before day 15, 7/180 from it. At day 15, 300 of alpha's 450 records where 450 x 7/12
    = 262.5 were expected, variance 450 x 7/12 x 5/12."""
    from tests.flowgen import Flow
    from tests.unit.integrity.conftest import T, write_flows

    day = 86_400_000
    flows = [Flow("10.1.0.1", f"2.176.{d}.{i + 1}", 1000, T + d * day)
             for d in range(30) for i in range(10 if d < 15 else 20)]
    flows += [Flow("10.2.0.1", f"5.112.{d}.{i + 1}", 1000, T + d * day)
              for d in range(30) for i in range(10)]
    got = signals_of(write_flows(tmp_path / "flows", flows))
    assert (got["alpha"].records, got["beta"].records) == (450, 300)
    assert got["alpha"].step_z == r6(37.5 / math.sqrt(450 * 7 / 12 * 5 / 12)) == 3.585686
    assert got["beta"].step_z == 0.0
    assert got["alpha"].night_z == 0.0  # one hour of the day: the nation has no quiet share
