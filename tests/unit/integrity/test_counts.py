"""Signals on flow-record counts (integrity/counts.py), each worked out by hand on small
series, and their noise bound checked on simulated Poisson months."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pahna.integrity.counts import (
    binomial_z,
    daily,
    nation_days,
    night_z,
    overdispersion,
    quiet_hours,
    step_z,
)

NORMAL_MAD = 1.482602218505602  # 1 / the standard normal's third quartile


def hourly(per_day: list[float] | np.ndarray, hour: int = 3) -> np.ndarray:
    """A month of hours with each day's records in one hour."""
    out = np.zeros(len(per_day) * 24, np.int64)
    out[np.arange(len(per_day)) * 24 + hour] = per_day
    return out


def test_daily_sums_the_hours_of_each_day() -> None:
    hours = np.arange(48 + 5)  # a partial day at the end is left out
    assert daily(hours).tolist() == [sum(range(24)), sum(range(24, 48))]


def test_binomial_z() -> None:
    assert binomial_z(30, 100, 0.2, 2.0) == pytest.approx(10 / math.sqrt(32))
    assert binomial_z(30, 100, 0.0, 1.0) == binomial_z(3, 0, 0.5, 1.0) == 0.0


def test_overdispersion_is_the_robust_spread_of_residual_differences() -> None:
    expected = np.full(5, 5.0)
    assert overdispersion(expected.copy(), expected) == 1.0  # never below Poisson
    assert overdispersion(3 * expected, expected) == 1.0  # a level, not noise
    # residuals 0, 5/sqrt 5, 0, -5/sqrt 5, 0; differences +-sqrt 5: median 0, MAD sqrt 5
    observed = np.array([5.0, 10.0, 5.0, 0.0, 5.0])
    assert overdispersion(observed, expected) == pytest.approx(NORMAL_MAD ** 2 * 5 / 2)
    # day 3 left out: 25 observed where 20 were expected, so 6.25 a day; residuals
    # -0.5, 1.5, -0.5 | -0.5; differences of consecutive days 2, -2: MAD 2
    assert overdispersion(observed, expected, frozenset({3})) == pytest.approx(
        (NORMAL_MAD * 2) ** 2 / 2)


def test_a_step_is_measured_against_the_nations_days() -> None:
    flat = np.full(30, 1 / 30)
    records = hourly([10] * 15 + [20] * 15)
    # the best cut is day 15: 300 of 450 records after it where 225 were expected,
    # variance 450 x 1/2 x 1/2; the residuals differ once only, so no overdispersion
    assert step_z(records, flat) == round(75 / math.sqrt(112.5), 6) == 7.071068
    assert step_z(hourly([20] * 15 + [10] * 15), flat) == 0.0  # a fall is not a rise
    # the nation doubled too: the producer kept its share, no step
    assert step_z(records, np.array([1.0] * 15 + [2.0] * 15) / 45) == 0.0


def test_a_step_on_the_day_a_claim_changed_is_explained() -> None:
    flat = np.full(30, 1 / 30)
    records = hourly([10] * 15 + [20] * 15)
    assert step_z(records, flat, frozenset({15})) == 0.0
    # a partial day of the new owner (day 15 half way) is left out too
    assert step_z(hourly([10] * 15 + [15] + [20] * 14), flat, frozenset({15})) == 0.0


def test_the_nations_days_are_an_interquartile_mean_of_producers_shares() -> None:
    producers = [hourly([1, 1, 2]), hourly([2, 2, 0]), hourly([1, 2, 1]), hourly([0, 0, 4])]
    # shares per day: [.25 .25 .5], [.5 .5 0], [.25 .5 .25], [0 0 1]; the middle two
    assert nation_days(producers).tolist() == [0.25, 0.375, 0.375]
    assert nation_days([np.zeros(72, np.int64)]).tolist() == []


def test_night_z_counts_records_in_the_nations_quiet_hours() -> None:
    day = np.array([1] * 6 + [10] * 18)  # the nation: hours 0 to 5 quiet
    nation = np.tile(day, 2)
    assert quiet_hours(nation).tolist() == [0, 1, 2, 3, 4, 5]
    own = np.tile(np.array([2] * 6 + [0] * 6 + [10] + [0] * 11), 2)
    share = 12 / 372  # the nation's records in its quiet hours
    # 24 of 44 records in them; two days only, so no overdispersion is measured
    z = (24 - 44 * share) / math.sqrt(44 * share * (1 - share))
    assert night_z(own, nation) == round(z, 6) == 19.266866
    assert night_z(3 * nation, nation) == 0.0  # shaped like the nation


def _nation(rng: np.random.Generator, days: int) -> tuple[np.ndarray, np.ndarray]:
    """A day-by-day and hour-of-day shape with a weekly cycle and common day noise."""
    day = np.where(np.arange(days) % 7 == 6, 0.8, 1.0) * rng.uniform(0.9, 1.1, days)
    hour = 1 + 0.85 * np.cos(2 * np.pi * (np.arange(24) - 22) / 24)
    return day / day.sum(), hour / hour.sum()


def _month(rng: np.random.Generator, records: float, day: np.ndarray, hour: np.ndarray
           ) -> np.ndarray:
    return rng.poisson(records * np.outer(day, hour)).ravel()


def test_poisson_months_stay_below_four_and_steps_of_a_fifth_pass_it() -> None:
    """A month whose records are Poisson about the nation's shape: the largest step_z
    and night_z over 300 producer-months stay below 4; +40% over the second half (a
    20% share injected there) on 1,600 records a month or more passes 4, and so does
    a flat pull of 20% on 5,000 or more (on 1,600, 9 of 10: its noise is wider)."""
    rng = np.random.default_rng(13)
    day, hour = _nation(rng, 30)
    nation = _month(rng, 10_000_000, day, hour)
    sizes = rng.choice([500, 1_600, 5_000, 30_000], 300)
    steady = [_month(rng, n, day, hour) for n in sizes]
    assert max(step_z(m, day) for m in steady) < 4
    assert max(night_z(m, nation) for m in steady) < 4
    lift = np.where(np.arange(30) >= 15, 1.4, 1.0)
    stepped = [_month(rng, n, day * lift, hour) for n in (1_600, 5_000, 30_000) * 10]
    assert min(step_z(m, day) for m in stepped) > 4
    flat = [night_z(_month(rng, n, day, hour)
                    + _month(rng, 0.2 * n, day, np.full(24, 1 / 24)), nation)
            for n in (1_600, 5_000, 30_000) * 10]
    assert min(flat[1::3] + flat[2::3]) > 4
    assert sum(z > 4 for z in flat[::3]) == 9
