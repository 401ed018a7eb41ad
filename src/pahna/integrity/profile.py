"""Time-profile signals of a producer-month, from its bytes sent per hour.

    flatness           5th over 95th percentile of hourly bytes (every hour of the month,
                       quiet ones as 0): near 1 for a flat 24/7 pull, far below for people
    daily_correlation  Pearson correlation of the producer's bytes per hour of the day
                       (Tehran time) with the national profile (every producer's)
    change_points      step changes in daily bytes: the weekly cycle is taken out by a
                       robust seasonal decomposition (statsmodels STL, period 7 days),
                       the rest, over its mean, is cut by PELT (ruptures, l2 cost)
    step_ratio         the largest rise at a change point: mean daily bytes after it over
                       the mean before it (1 without change points)
"""

from __future__ import annotations

import math

import numpy as np

from pahna.settle.pricing import tehran_minutes

HOUR_MS = 3_600_000
PELT_PENALTY = 0.3
"""PELT's penalty per change point, on daily bytes over their mean: a split must explain
more than this much squared deviation (a 40% step over half a month explains about 1.2;
day-to-day noise of 6% about 0.01)."""
MIN_SEGMENT_DAYS = 3
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


def daily_volume(hourly: np.ndarray) -> np.ndarray:
    """Bytes per day of the month (the month starts at Tehran midnight: 24 hours a day)."""
    days = len(hourly) // 24
    return hourly[:days * 24].reshape(days, 24).sum(axis=1).astype(np.float64)


def deseasonalised(daily: np.ndarray) -> np.ndarray:
    """Daily bytes over their mean, less the weekly cycle (robust STL)."""
    from statsmodels.tsa.seasonal import STL

    level = daily / daily.mean()
    if len(level) < 2 * SEASON_DAYS + 1:
        return level
    fitted = STL(level, period=SEASON_DAYS, robust=True).fit()
    return np.asarray(level - fitted.seasonal, dtype=np.float64)


def change_points(hourly: np.ndarray) -> tuple[int, float]:
    """(number of change points, the largest rise at one) in daily bytes."""
    daily = daily_volume(hourly)
    if len(daily) < 2 * MIN_SEGMENT_DAYS or daily.mean() <= 0:
        return 0, 1.0
    import ruptures

    series = deseasonalised(daily)
    ends = ruptures.Pelt(model="l2", min_size=MIN_SEGMENT_DAYS, jump=1).fit(
        series.reshape(-1, 1)).predict(pen=PELT_PENALTY)
    cuts = [int(e) for e in ends[:-1]]
    bounds = [0, *cuts, len(daily)]
    rises = [daily[b:c].mean() / daily[a:b].mean()
             for a, b, c in zip(bounds, bounds[1:], bounds[2:], strict=False)
             if daily[a:b].mean() > 0]
    return len(cuts), rounded(max(rises, default=1.0))
