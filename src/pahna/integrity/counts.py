"""Signals on counts of flow records, read against the nation's records.

Bytes per flow are heavy-tailed, so on a producer of a few thousand flows a month the
bytes of a day or an hour swing by tens of percent with no change at all in its
audience; the *number* of flow records does not: records arrive as a Poisson process
(sampling thins it binomially, which keeps it Poisson), whose noise is known from the
count alone. These signals are z-scores: how many standard deviations of that noise a
pattern stands from what the nation's own records (every producer's, the same days and
hours) say the producer should show. A small producer's noise is large, a large one's
small, so one bound reads alike on producers of any size.

Real audiences vary more than Poisson (days differ for reasons of their own), so the
noise is widened by the producer's overdispersion: the robust variance of its daily
Pearson residuals against the nation's days (at least 1, Poisson's).

    step_z   the largest standardized rise of the producer's records against the
             nation's day-by-day profile (`nation_days`), from a day to the end of its
             part of the month (a binomial z, over the overdispersion's square root)
    night_z  the producer's records in the nation's QUIET_HOURS quietest hours of the
             day against its records times the nation's share in them (a binomial z,
             over the square root of the overdispersion of the daily counts in them)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from pahna.integrity.profile import MIN_SEGMENT_DAYS, QUIET_HOURS, STEP_MIN_DAYS, rounded

NATION_TRIM = 0.25
EXPLAINED_MARGIN = 2
"""A cut this many days or fewer from a change of claims is that change, not a step."""


def daily(hourly: np.ndarray) -> np.ndarray:
    """Per day of the month (the month starts at Tehran midnight), the hours' sum."""
    days = len(hourly) // 24
    return np.asarray(hourly[:days * 24].reshape(days, 24).sum(axis=1), np.float64)


def nation_days(records: Sequence[np.ndarray]) -> np.ndarray:
    """The nation's day-by-day profile of records, compared like with like: each
    producer's share of its month's records per day, averaged over the producers with
    records as an interquartile mean (scipy's trim_mean, a quarter off each end), so
    the days of one producer whose traffic changed (a large claim changing hands, a
    step of its own) do not bend everyone else's baseline."""
    from scipy.stats import trim_mean

    shares = [d / d.sum() for d in (daily(r) for r in records) if d.sum() > 0]
    if not shares:
        return np.zeros(0, np.float64)
    return np.asarray(trim_mean(np.vstack(shares), NATION_TRIM, axis=0), np.float64)


def overdispersion(observed: np.ndarray, expected: np.ndarray,
                   skip: frozenset[int] = frozenset()) -> float:
    """How much more than Poisson the counts vary about what was expected: the squared
    robust standard deviation (1.4826 MAD, scipy) of the differences of consecutive
    days' Pearson residuals (o - e) / sqrt(e), over 2; at least 1. The expectation is
    first scaled to the counts' own total, so a level raised throughout (the pattern
    under test) is not read as noise; differences, so a step moves one of them, not
    their spread. Days in `skip` (and days expecting nothing) are left out, and so are
    the differences across them."""
    from scipy.stats import median_abs_deviation

    keep = expected > 0
    keep[sorted(d for d in skip if 0 <= d < len(keep))] = False
    if not keep.any() or observed[keep].sum() <= 0:
        return 1.0
    level = expected[keep] * observed[keep].sum() / expected[keep].sum()
    residual = (observed[keep] - level) / np.sqrt(level)
    day = np.flatnonzero(keep)
    steps = np.diff(residual)[np.diff(day) == 1]
    if len(steps) < 2:
        return 1.0
    return max(float(median_abs_deviation(steps, scale="normal")) ** 2 / 2, 1.0)


def binomial_z(hits: float, total: float, share: float, dispersion: float) -> float:
    """(hits - total x share) / sqrt(dispersion x total x share x (1 - share))."""
    if total <= 0 or not 0 < share < 1:
        return 0.0
    return (hits - total * share) / math.sqrt(dispersion * total * share * (1 - share))


def step_z(records: np.ndarray, nation: np.ndarray,
           explained: frozenset[int] = frozenset()) -> float:
    """The largest rise, in standard deviations, of the producer's daily records against
    the nation's day-by-day profile (`nation_days`: one value per day). Days in
    `explained` (a claim on the producer's addresses began or ended: part of the day is
    one owner's, part another's) are left out, and cut the month into parts; within a
    part [a, b), each day k at least MIN_SEGMENT_DAYS after a and STEP_MIN_DAYS before
    b (and more than EXPLAINED_MARGIN days from a change of claims) is tried: the
    producer's records in [k, b) against its records in [a, b) times the nation's
    share of [a, b) falling in [k, b). 0 when nothing rose or there is no day to try."""
    own, everyone = daily(records), np.asarray(nation, np.float64)
    total = own.sum()
    if total <= 0 or everyone.sum() <= 0:
        return 0.0
    fixed = sorted(d for d in explained if 0 < d < len(own))
    dispersion = overdispersion(own, everyone * total / everyone.sum(), frozenset(fixed))
    best = 0.0
    for a, b in zip([0, *(d + 1 for d in fixed)], [*fixed, len(own)], strict=True):
        for k in range(a + MIN_SEGMENT_DAYS, b - STEP_MIN_DAYS + 1):
            if any(abs(k - d) <= EXPLAINED_MARGIN for d in fixed):
                continue
            part = everyone[a:b].sum()
            share = everyone[k:b].sum() / part if part > 0 else 0.0
            best = max(best, binomial_z(own[k:b].sum(), own[a:b].sum(), share, dispersion))
    return rounded(best)


def quiet_hours(nation: np.ndarray) -> np.ndarray:
    """The nation's QUIET_HOURS quietest Tehran hours of the day (by records summed over
    the month; ties to the earlier hour)."""
    days = len(nation) // 24
    profile = nation[:days * 24].reshape(days, 24).sum(axis=0)
    return np.sort(np.argsort(profile, kind="stable")[:QUIET_HOURS])


def night_z(records: np.ndarray, nation: np.ndarray) -> float:
    """How far, in standard deviations, the producer's records in the nation's quiet
    hours stand above its records times the nation's share in them (a pull that never
    sleeps fills them); the noise is widened by the overdispersion of its day-by-day
    counts in those hours against the same expectation."""
    days = len(records) // 24
    own = records[:days * 24].reshape(days, 24).astype(np.float64)
    everyone = nation[:days * 24].reshape(days, 24).astype(np.float64)
    quiet = quiet_hours(nation)
    if everyone.sum() <= 0 or own.sum() <= 0:
        return 0.0
    share = everyone[:, quiet].sum() / everyone.sum()
    per_day = own[:, quiet].sum(axis=1)
    dispersion = overdispersion(per_day, own.sum(axis=1) * share)
    return rounded(binomial_z(float(per_day.sum()), float(own.sum()), share, dispersion))
