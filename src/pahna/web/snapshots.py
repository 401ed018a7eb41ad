"""Per-period figures for the portal, computed once through the pipeline and cached.

A snapshot holds a month's settlement (the statements' summary.csv) and its usage per
producer, traffic class and 5-minute bin (pipeline.usage_for_period), as NumPy arrays
sorted by producer so that one producer's series is a slice. Pages and the API read
only snapshots, never the raw store, so they answer in milliseconds; a snapshot is
rebuilt, outside requests, when its statements, the store's manifests or the period's
ledger folder change (web/snapshot_cache.py).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

import jdatetime
import numpy as np

from pahna.calendar import TEHRAN, JalaliMonth
from pahna.ledger.book import Ledger
from pahna.pipeline import month_window, usage_for_period
from pahna.schema import BIN_MS, TRAFFIC_CLASSES
from pahna.store.catalog import index_fingerprint
from pahna.sums import exact_sum, grouped_sums
from pahna.web.states import ledger_fingerprint
from pahna.workspace import Workspace


@dataclass(frozen=True)
class StatementFigures:
    producer_id: str
    province: str
    bytes: int
    claim_rial: int
    amount_rial: int


@dataclass(frozen=True)
class ProducerSeries:
    """One producer's usage in a month: bin starts, bytes and class index per row."""

    bins_ms: np.ndarray
    bytes: np.ndarray
    classes: np.ndarray

    def by_class(self) -> dict[str, int]:
        """Exact bytes per class (a float bincount lost bytes past 2^53)."""
        return {name: exact_sum(self.bytes[self.classes == i])
                for i, name in enumerate(TRAFFIC_CLASSES)}


@dataclass
class PeriodSnapshot:
    period: str
    statements: dict[str, StatementFigures]
    producer_ids: np.ndarray
    offsets: np.ndarray
    bins_ms: np.ndarray
    bytes: np.ndarray
    classes: np.ndarray
    unattributed_bytes: int
    fingerprint: tuple[object, ...] = field(default=())
    memo: dict[tuple[object, ...], object] = field(default_factory=dict)
    """Figures derived from this snapshot (pages' models), kept while it lives."""

    @property
    def month(self) -> JalaliMonth:
        return JalaliMonth.parse(self.period)

    @property
    def total_rial(self) -> int:
        return sum(s.amount_rial for s in self.statements.values())

    @property
    def total_bytes(self) -> int:
        return sum(s.bytes for s in self.statements.values())

    def series(self, producer_id: str) -> ProducerSeries:
        index = int(np.searchsorted(self.producer_ids, producer_id))
        if index >= len(self.producer_ids) or self.producer_ids[index] != producer_id:
            empty = np.zeros(0, dtype=np.int64)
            return ProducerSeries(empty, empty, empty.astype(np.int8))
        lo, hi = self.offsets[index], self.offsets[index + 1]
        return ProducerSeries(self.bins_ms[lo:hi], self.bytes[lo:hi], self.classes[lo:hi])


@lru_cache(maxsize=64)
def day_starts_ms(month: JalaliMonth) -> np.ndarray:
    """Tehran midnights of each day of the month, and of the day after it."""
    first = jdatetime.date(month.year, month.month, 1).togregorian()
    out = []
    for day in range(month.days + 1):
        local = datetime(first.year, first.month, first.day, tzinfo=TEHRAN)
        local = (local + timedelta(days=day)).replace(tzinfo=TEHRAN)
        out.append(int(local.timestamp() * 1000))
    return np.array(out, dtype=np.int64)


def daily_bytes(series: ProducerSeries, month: JalaliMonth) -> list[dict[str, int]]:
    """Bytes per Tehran day of the month, split by traffic class."""
    starts = day_starts_ms(month)
    day = np.searchsorted(starts, series.bins_ms, side="right") - 1
    table = [dict.fromkeys(TRAFFIC_CLASSES, 0) for _ in range(month.days)]
    (days, classes), sums = grouped_sums([day, series.classes.astype(np.int64)], series.bytes)
    for d, c, total in zip(days.tolist(), classes.tolist(), sums.tolist(), strict=True):
        table[d][TRAFFIC_CLASSES[c]] = total
    return table


def five_minute_bytes(series: ProducerSeries, month: JalaliMonth, day: int) -> list[int]:
    """Bytes per 5-minute bin of day `day` (1-based) of the month."""
    starts = day_starts_ms(month)
    lo, hi = int(starts[day - 1]), int(starts[day])
    out = np.zeros((hi - lo) // BIN_MS, dtype=np.int64)
    keep = (series.bins_ms >= lo) & (series.bins_ms < hi)
    np.add.at(out, (series.bins_ms[keep] - lo) // BIN_MS, series.bytes[keep])
    return [int(v) for v in out]


def read_statements(path: Path) -> dict[str, StatementFigures]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {
            row["producer_id"]: StatementFigures(
                row["producer_id"], row["province"], int(row["bytes"]),
                int(row["claim_rial"]), int(row["amount_rial"]))
            for row in csv.DictReader(handle)
        }


def build_snapshot(workspace: Workspace, period: str) -> PeriodSnapshot:
    """The period's snapshot. Its fingerprint is taken before anything is read, so a
    change made while it is built is seen by the next check, never absorbed."""
    depends = fingerprint(workspace, period)
    usage = usage_for_period(workspace, period,
                             group_by=("producer_id", "traffic_class", "bin_start_ms"))
    owner = usage.column("producer_id").to_numpy(zero_copy_only=False)
    attributed = np.array([o is not None for o in owner], dtype=bool)
    byte_col = usage.column("bytes").to_numpy(zero_copy_only=False).astype(np.int64)
    unattributed = exact_sum(byte_col[~attributed])
    owner = owner[attributed].astype(str)
    order = np.argsort(owner, kind="stable")
    ids, first = np.unique(owner[order], return_index=True)
    klass = usage.column("traffic_class").to_numpy(zero_copy_only=False)[attributed][order]
    class_index = np.array([TRAFFIC_CLASSES.index(k) for k in klass], dtype=np.int8)
    summary = summary_path(workspace, period)
    return PeriodSnapshot(
        period=period,
        statements=read_statements(summary) if summary.is_file() else {},
        producer_ids=ids,
        offsets=np.append(first, len(owner)).astype(np.int64),
        bins_ms=usage.column("bin_start_ms").to_numpy(zero_copy_only=False)[attributed][order],
        bytes=byte_col[attributed][order],
        classes=class_index,
        unattributed_bytes=unattributed,
        fingerprint=depends,
    )


def summary_path(workspace: Workspace, period: str) -> Path:
    """The summary.csv the period's figures come from: the final in force, else the draft."""
    revision = Ledger(workspace.home).active_revision(period)
    folder = workspace.statements_dir(period)
    return (folder / f"final-r{revision}" if revision else folder) / "summary.csv"


def fingerprint(workspace: Workspace, period: str) -> tuple[object, ...]:
    """What a snapshot depends on: its summary.csv, the store's batches of the month
    (the manifests' index files of its days: store.catalog) and the period's ledger
    folder (a draft, a final or a void changes it)."""
    summary = workspace.statements_dir(period) / "summary.csv"
    stat = summary.stat() if summary.is_file() else None
    window = month_window(JalaliMonth.parse(period))
    return (stat and (stat.st_ino, stat.st_mtime_ns, stat.st_size),
            index_fingerprint(workspace.store_dir, *window),
            ledger_fingerprint(workspace.home, period))
