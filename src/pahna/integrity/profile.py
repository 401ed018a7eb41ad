"""Time-profile signals of a producer-month, from its bytes sent per hour.

    flatness           5th over 95th percentile of hourly bytes (every hour of the month,
                       quiet ones as 0): near 1 for a flat 24/7 pull, far below for people
    daily_correlation  Pearson correlation of the producer's bytes per hour of the day
                       (Tehran time) with the national profile (every producer's)
    change_points      step changes in the daily level (the mean of the day's hours
                       without its 3 busiest and 3 quietest, so a few huge transfers do
                       not make a step), over its mean, divided by the weekly cycle
                       (each weekday's median), is cut by PELT (ruptures, l2 cost) with
                       a penalty of PELT_PENALTY x the day-to-day noise variance (MAD of
                       differences) x ln(days)
    step_ratio         the largest rise at a change point: mean daily level after it over
                       the mean before it (1 without change points)
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from pahna.settle.pricing import tehran_minutes

HOUR_MS = 3_600_000
PELT_PENALTY = 5.0
"""PELT's penalty per change point, in units of the day-to-day noise variance times
ln(days). On synthetic months with 3% daily noise and a weekly cycle (40 seeds), 5 cut
2 of 40 steady months and found every step of +10%, +20% and +50% half way through."""
MIN_NOISE = 0.01
"""The least noise assumed (of the level over its mean), so a perfectly even series is
not cut at every wobble of its last digits."""
LOG_FLOOR = 0.01
"""The least weekday-adjusted level (of the mean) whose logarithm is taken: a day with
no traffic counts as 1% of an ordinary one."""
TRIM_HOURS = 0.125
PROFILE_TRIM = 0.1
QUIET_HOURS = 6
MIN_SEGMENT_DAYS = 3
STEP_MIN_DAYS = 7
"""A cut counts in step_ratio only this long before the month's end (a week of the new
level, measured to the month's end)."""
SEASON_DAYS = 7


PLACES = 6


def rounded(value: float) -> float:
    """A ratio as documents keep it: 6 places, never NaN (undefined ratios are 0)."""
    return 0.0 if not math.isfinite(value) else round(float(value), PLACES) + 0.0


def hourly_volume(bin_start_ms: np.ndarray, sent: np.ndarray, month_start_ms: int,
                  samples: int) -> np.ndarray:
    """Bytes sent in each hour of the month (int64; hours without traffic are 0)."""
    hours = np.zeros(samples // 12, dtype=np.int64)
    index = (np.asarray(bin_start_ms, np.int64) - month_start_ms) // HOUR_MS
    inside = (index >= 0) & (index < len(hours))
    np.add.at(hours, index[inside], np.asarray(sent, np.int64)[inside])
    return hours


def hour_of_day(hourly: np.ndarray, month_start_ms: int) -> np.ndarray:
    """Bytes per Tehran hour of the day (24 values) summed over the month."""
    starts = month_start_ms + np.arange(len(hourly), dtype=np.int64) * HOUR_MS
    local = tehran_minutes(starts) // 60
    profile = np.zeros(24, dtype=np.float64)
    np.add.at(profile, local, hourly.astype(np.float64))
    return profile


def flatness(hourly: np.ndarray) -> float:
    if not len(hourly):
        return 0.0
    low, high = np.percentile(hourly.astype(np.float64), [5, 95])
    return rounded(low / high) if high > 0 else 0.0


def daily_correlation(hourly: np.ndarray, national: np.ndarray, month_start_ms: int) -> float:
    own = hour_of_day(hourly, month_start_ms)
    if own.std() == 0 or national.std() == 0:
        return 0.0
    return rounded(float(np.corrcoef(own, national)[0, 1]))


def day_profile(hourly: np.ndarray) -> np.ndarray:
    """Bytes per hour of the day (24 values, Tehran time: the month starts at Tehran
    midnight), each the trimmed mean over the month's days without the busiest and the
    quietest tenth (scipy), so a few huge transfers do not shape it."""
    from scipy.stats import trim_mean

    days = len(hourly) // 24
    hours = hourly[:days * 24].reshape(days, 24).astype(np.float64)
    return np.asarray(trim_mean(hours, PROFILE_TRIM, axis=0), dtype=np.float64)


def night_ratio(own: np.ndarray, national: np.ndarray) -> float:
    """The producer's share of its day in the nation's QUIET_HOURS quietest hours over
    the nation's share in them (day profiles): about 1 for an audience that sleeps
    when the nation does; a pull that never sleeps raises it."""
    quiet = np.argsort(national, kind="stable")[:QUIET_HOURS]
    if own.sum() <= 0 or national.sum() <= 0 or national[quiet].sum() <= 0:
        return 0.0
    return rounded((own[quiet].sum() / own.sum()) / (national[quiet].sum() / national.sum()))


def daily_level(hourly: np.ndarray) -> np.ndarray:
    """Each day's level: the mean of its 24 hours without the 3 busiest and the 3
    quietest (scipy's trimmed mean; the month starts at Tehran midnight)."""
    from scipy.stats import trim_mean

    days = len(hourly) // 24
    hours = hourly[:days * 24].reshape(days, 24).astype(np.float64)
    return np.asarray(trim_mean(hours, TRIM_HOURS, axis=1), dtype=np.float64)


def noise(series: np.ndarray, fixed: list[int] | None = None) -> float:
    """Robust day-to-day noise of a series: the MAD of its differences as a standard
    deviation (1.4826 MAD / sqrt 2, scipy), which one step barely moves; differences
    across the days in `fixed` (changes of ownership) are left out."""
    from scipy.stats import median_abs_deviation

    steps = np.delete(np.diff(series), [d - 1 for d in fixed or ()])
    return max(float(median_abs_deviation(steps, scale="normal")) / math.sqrt(2), MIN_NOISE)


def weekly_adjusted(daily: np.ndarray) -> np.ndarray:
    """The daily level over its mean, divided by the weekly cycle: each weekday's median
    of the level over its running 7-day median (scipy), so a step in the level does not
    bend the cycle; weekdays with no traffic are left as they are."""
    from scipy.ndimage import median_filter

    level = daily / daily.mean()
    local = median_filter(level, size=SEASON_DAYS, mode="nearest")
    relative = np.divide(level, local, out=np.zeros_like(level), where=local > 0)
    weekday = np.arange(len(level)) % SEASON_DAYS
    profile = np.array([np.median(relative[weekday == k]) for k in range(SEASON_DAYS)])
    if profile.mean() <= 0:
        return level
    profile = profile / profile.mean()
    return np.where(profile[weekday] > 0, level / np.where(profile[weekday] > 0,
                                                           profile[weekday], 1), level)


def change_points(hourly: np.ndarray, explained: frozenset[int] = frozenset()
                  ) -> tuple[int, float]:
    """(number of change points, the largest rise at one) in the daily level. A day in
    `explained` (a claim on the producer's addresses began or ended then) is a change of
    ownership, not of traffic: the series is cut there first, PELT looks for steps within
    each part, and a cut within two days of such a day is left out. A rise is the median
    weekday-adjusted level from the cut to the month's end over the median since the cut
    before (medians: a few huge days do not make a step, and a burst that ends is not
    one), for cuts at least STEP_MIN_DAYS before the month's end; the largest, and 1 when
    none rose."""
    daily = daily_level(hourly)
    if len(daily) < 2 * MIN_SEGMENT_DAYS or daily.mean() <= 0:
        return 0, 1.0
    series = np.log(np.maximum(weekly_adjusted(daily), LOG_FLOOR))
    fixed = sorted(d for d in explained if 0 < d < len(series))
    parts = [0, *fixed, len(series)]
    penalty = PELT_PENALTY * noise(series, fixed) ** 2 * math.log(len(series))
    cuts = [a + e for a, b in itertools.pairwise(parts)
            for e in _pelt(series[a:b], penalty)
            if not explained & set(range(a + e - 2, a + e + 3))]
    bounds = sorted({*parts, *cuts})
    rises = [math.exp(np.median(series[b:]) - np.median(series[a:b]))
             for a, b in itertools.pairwise(bounds)
             if b in cuts and len(series) - b >= STEP_MIN_DAYS]
    return len(cuts), rounded(max([1.0, *rises]))


def _pelt(series: np.ndarray, penalty: float) -> list[int]:
    """PELT's cuts (ruptures, l2 cost) in a part of the series, as offsets into it."""
    if len(series) < 2 * MIN_SEGMENT_DAYS:
        return []
    import ruptures

    ends = ruptures.Pelt(model="l2", min_size=MIN_SEGMENT_DAYS, jump=1).fit(
        series.reshape(-1, 1)).predict(pen=penalty)
    return [int(e) for e in ends[:-1]]
