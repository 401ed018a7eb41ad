"""Robust, comparative scores: how far each producer's signal lies from its peers'.

Within each producer type, a signal's modified z-score is 0.6745 (x - median) / MAD,
MAD being the median absolute deviation (scipy). When more than half the producers share
the median, MAD is 0; then the mean absolute deviation stands in (z = (x - median) /
(1.2533 * meanAD)), and when that is 0 too every producer of the type scores 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from pahna.integrity.policy import SIGNAL_NAMES
from pahna.integrity.profile import rounded
from pahna.integrity.signals import Signals

MAD_Z = 0.6745
MEAN_AD_Z = 1.253314


@dataclass(frozen=True)
class Baseline:
    """A signal's centre and spread among the producers of one type."""

    median: float
    mad: float
    mean_ad: float

    def score(self, value: float) -> float:
        if self.mad > 0:
            return rounded(MAD_Z * (value - self.median) / self.mad)
        if self.mean_ad > 0:
            return rounded((value - self.median) / (MEAN_AD_Z * self.mean_ad))
        return 0.0


def baseline(values: np.ndarray) -> Baseline:
    from scipy.stats import median_abs_deviation

    median = float(np.median(values))
    return Baseline(rounded(median), rounded(float(median_abs_deviation(values, scale=1.0))),
                    rounded(float(np.mean(np.abs(values - median)))))


def baselines(signals: Mapping[str, Signals]) -> dict[str, dict[str, Baseline]]:
    """Per producer type, per signal: its baseline over the type's producers."""
    types = sorted({s.producer_type for s in signals.values()})
    out: dict[str, dict[str, Baseline]] = {}
    for kind in types:
        group = [signals[pid] for pid in sorted(signals) if signals[pid].producer_type == kind]
        out[kind] = {name: baseline(np.array([s.value(name) for s in group], np.float64))
                     for name in SIGNAL_NAMES}
    return out


def scores(signals: Mapping[str, Signals], bases: Mapping[str, Mapping[str, Baseline]]
           ) -> dict[str, dict[str, float]]:
    """Modified z-score of every signal of every producer, within its type."""
    return {pid: {name: bases[s.producer_type][name].score(s.value(name))
                  for name in SIGNAL_NAMES} for pid, s in sorted(signals.items())}
