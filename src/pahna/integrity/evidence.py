"""What a reviewer sees beside a held line's figures, sealed with the final (only for held
producers): the producer's day (its share of bytes per Tehran hour of the day) against
the nation's, its month (share per day) against the nation's, and its client networks
(the TOP_NETWORKS_SHOWN largest by bytes, then the rest as one figure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from pahna.aggregate.signals import network_text
from pahna.integrity.profile import hour_of_day, hourly_volume, rounded
from pahna.integrity.signals import MonthFrame
from pahna.settle.usage import ProducerUsage

TOP_NETWORKS_SHOWN = 12


def shares(values: np.ndarray) -> list[float]:
    """Each value over their sum, rounded as documents keep ratios (all 0 if no sum)."""
    total = float(values.sum())
    return [rounded(float(v) / total) if total > 0 else 0.0 for v in values]


def day_and_month(hourly: np.ndarray, start_ms: int) -> tuple[list[float], list[float]]:
    """(shares per Tehran hour of the day, shares per day of the month)."""
    days = len(hourly) // 24
    return (shares(hour_of_day(hourly, start_ms)),
            shares(hourly[:days * 24].reshape(days, 24).sum(axis=1)))


def top_networks(keys: np.ndarray, values: np.ndarray) -> dict[str, Any]:
    """The largest client networks by bytes (ties by key) and the rest."""
    order = np.lexsort((keys, -values))
    shown = order[:TOP_NETWORKS_SHOWN]
    rest = order[TOP_NETWORKS_SHOWN:]
    return {"networks": [[network_text(int(keys[i])), int(values[i])] for i in shown],
            "other_networks": len(rest), "other_bytes": int(values[rest].sum()),
            "total_bytes": int(values.sum())}


def evidence(usage: Sequence[ProducerUsage], networks: pa.Table, month: MonthFrame,
             held: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Per held producer: its day and month against the nation's, its client networks."""
    wanted = set(held)
    if not wanted:
        return {}
    hourly = {u.producer.id: hourly_volume(u.series.start_ms, u.series.sent, month.start_ms,
                                           month.samples) for u in usage}
    nation_day, nation_days = day_and_month(
        sum(hourly.values(), np.zeros(month.samples // 12, np.int64)), month.start_ms)
    by_producer = _networks(networks)
    out = {}
    for pid in sorted(wanted & set(hourly)):
        day, days = day_and_month(hourly[pid], month.start_ms)
        keys, values = by_producer.get(pid, (np.zeros(0, np.int64), np.zeros(0, np.int64)))
        out[pid] = {"day": day, "nation_day": nation_day, "days": days,
                    "nation_days": nation_days, **top_networks(keys, values)}
    return out


def _networks(table: pa.Table) -> Mapping[str, tuple[np.ndarray, np.ndarray]]:
    pid = np.asarray(table["producer_id"].to_numpy(zero_copy_only=False))
    keys = table["client_net"].to_numpy(zero_copy_only=False).astype(np.int64)
    values = table["bytes"].to_numpy(zero_copy_only=False).astype(np.int64)
    return {str(p): (keys[pid == p], values[pid == p]) for p in np.unique(pid)}
