"""Robust scores and time-profile signals on series worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest
from tests.unit.integrity.conftest import MONTH

from pahna.integrity.profile import (
    change_points,
    daily_correlation,
    day_profile,
    flatness,
    hour_of_day,
    hourly_volume,
    night_ratio,
)
from pahna.integrity.scores import baseline

DAYS = 30


def test_modified_z_score_on_the_median_absolute_deviation() -> None:
    base = baseline(np.array([1.0, 2.0, 3.0, 4.0, 100.0]))
    assert (base.median, base.mad) == (3.0, 1.0)  # |x - 3| = 2, 1, 0, 1, 97
    assert base.score(100.0) == round(0.6745 * 97, 6)
    assert base.score(3.0) == 0.0


def test_mad_zero_falls_back_to_the_mean_absolute_deviation() -> None:
    base = baseline(np.array([1.0, 1.0, 1.0, 1.0, 5.0]))
    assert (base.median, base.mad, base.mean_ad) == (1.0, 0.0, 0.8)
    assert base.score(5.0) == round(4 / (1.253314 * 0.8), 6)
    assert baseline(np.array([2.0, 2.0, 2.0])).score(2.0) == 0.0


def test_hourly_volume_sums_bins_and_keeps_quiet_hours() -> None:
    start = MONTH.start_ms
    bins = np.array([start, start + 300_000, start + 3_600_000 * 5], np.int64)
    hours = hourly_volume(bins, np.array([10, 20, 7]), start, 12 * 24 * 2)
    assert hours.tolist() == [30, 0, 0, 0, 0, 7] + [0] * 42


def test_flatness_is_p5_over_p95() -> None:
    assert flatness(np.full(DAYS * 24, 1000)) == 1.0
    values = np.arange(1, 101, dtype=np.int64)  # p5 = 5.95, p95 = 95.05 (linear)
    assert flatness(values) == round(5.95 / 95.05, 6)
    assert flatness(np.zeros(24, np.int64)) == 0.0


def test_correlation_with_the_national_daily_profile() -> None:
    day = np.array([1, 1, 1, 1, 1, 1, 2, 3, 4, 5, 6, 6, 6, 6, 6, 6, 7, 8, 9, 9, 8, 6, 3, 2])
    human = np.tile(day, DAYS)
    national = hour_of_day(human * 10, MONTH.start_ms)
    assert daily_correlation(human, national, MONTH.start_ms) == 1.0
    assert daily_correlation(np.full(DAYS * 24, 5), national, MONTH.start_ms) == 0.0
    inverted = np.tile(day.max() - day, DAYS)
    assert daily_correlation(inverted, national, MONTH.start_ms) == -1.0


def weekly(days: int, rng: np.random.Generator) -> np.ndarray:
    """Daily bytes with a weekly cycle (a lighter seventh day) and 3% noise."""
    cycle = np.where(np.arange(days) % 7 == 6, 0.8, 1.0)
    return 1e9 * cycle * rng.normal(1.0, 0.03, days)


def hourly_from(daily: np.ndarray) -> np.ndarray:
    return np.repeat(daily / 24, 24).astype(np.int64)


def test_day_profile_trims_the_busiest_and_quietest_tenth_of_days() -> None:
    hourly = np.tile(np.arange(24, dtype=np.int64), DAYS)
    hourly[24 * 3 + 5] = 10**12  # one huge hour at 05:00: among the 3 busiest days trimmed
    hourly[24 * 4 + 6] = 0  # one silent 06:00: among the 3 quietest days trimmed
    assert day_profile(hourly).tolist() == list(map(float, range(24)))


def test_night_ratio_compares_the_nations_quiet_hours() -> None:
    nation = np.array([4.0] * 18 + [1.0] * 6)  # quiet: the last six hours, 6 of 78
    assert night_ratio(nation * 7, nation) == 1.0
    # a flat day puts 6/24 in those hours: (6 / 24) / (6 / 78) = 3.25
    assert night_ratio(np.full(24, 5.0), nation) == 3.25
    assert night_ratio(np.zeros(24), nation) == 0.0


@pytest.mark.parametrize("seed", range(10))
def test_a_steady_month_has_no_step(seed: int) -> None:
    daily = weekly(DAYS, np.random.default_rng(seed))
    count, rise = change_points(hourly_from(daily))
    assert count <= 1 and rise < 1.05  # seed 2: one cut, of no rise worth a hold


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize(("step", "day"), [(1.2, 15), (1.5, 15), (2.0, 8), (2.0, 12),
                                           (2.0, 20)])
def test_a_step_up_is_found(seed: int, step: float, day: int) -> None:
    daily = weekly(DAYS, np.random.default_rng(seed))
    daily[day:] *= step
    count, rise = change_points(hourly_from(daily))
    assert count >= 1  # the step, and at times a cut of no rise beside it
    assert step - 0.1 < rise < step + 0.1


def test_a_few_huge_hours_do_not_make_a_step() -> None:
    hourly = hourly_from(weekly(DAYS, np.random.default_rng(9)))
    hourly[24 * 20 + 3] *= 50  # one hour of one day, fifty times its size
    hourly[24 * 21 + 4] *= 50
    assert change_points(hourly) == (0, 1.0)


def test_a_burst_of_a_few_days_is_not_a_step() -> None:
    daily = weekly(DAYS, np.random.default_rng(3))
    daily[16:21] *= 2.0  # five days at twice the level, then back
    count, rise = change_points(hourly_from(daily))
    assert count == 2 and rise < 1.1  # cut twice; to the month's end, no rise to speak of
    daily[21:] *= 2.0  # now it lasts to the month's end
    count, rise = change_points(hourly_from(daily))
    assert count == 1 and 1.9 < rise < 2.1


def test_a_step_where_a_claim_changed_hands_is_explained() -> None:
    daily = weekly(DAYS, np.random.default_rng(4))
    daily[15:] *= 1.5
    assert change_points(hourly_from(daily), frozenset({15})) == (0, 1.0)
    assert change_points(hourly_from(daily), frozenset({25}))[0] == 1


def test_claim_change_days_reach_nested_and_enclosing_claims() -> None:
    from pahna.integrity.signals import claim_change_days

    start, day = MONTH.start_ms, 86_400_000
    claims = [["parent", "prefix", "10.0.0.0/16", 0, None],
              ["child", "prefix", "10.0.5.0/24", start + 3 * day + 7, start + 20 * day],
              ["other", "prefix", "10.9.0.0/16", start + 9 * day, None],
              ["asn", "asn", "64500", start + 4 * day, None]]
    assert claim_change_days(claims, start, DAYS) == {
        "parent": frozenset({3, 20}), "child": frozenset({3, 20}), "other": frozenset({9})}
