"""Producers behind CDN and hosting operators: flows for totals, logs for shares.

An operator (a producer record with the role `operator`) is registered with its
prefixes, so the flows it sends are attributed to it like any producer's. It is never
paid: its flow bytes of each Tehran-local day and traffic class are shared among what
its edge logs say it served that day to that class, in proportion to the log bytes, by
largest remainder (`money.allocate_pool`: exact integers that sum to the flow bytes;
ties to the smaller key). Each tenant's share is then laid over the 5-minute bins its
own requests fell in, by largest remainder again, so pricing by bin (time of day, the
95th percentile) sees the share where the tenant's traffic was.

Log bytes that pay nobody still take their share, so the tenants get what their logs
show and no more: requests of automated clients (`~automated`) and requests for hosts
no claim covers (`~unclaimed`); a day and class with flows but no log bytes is
`~unlogged`. These keys cannot be producer ids (ids are slugs).

Reconciliation: per operator and day, the bytes of every edge log line (automated and
unclaimed included: the flows carried them too) are set against the flow bytes. When
|logs - flows| > tolerance x flows (the tariff's `[content] tolerance`; a day with logs
and no flows is always out), every tenant the operator served that month is held
through integrity's holds (`integrity.records.Hold`, reason `log_flow_gap`: log bytes as
the figure, flow bytes as the baseline, the tolerance as the threshold; one per day out),
released or confirmed by a reviewer like any other hold.

Logs alone: requests in logs of no registered operator (a producer's own server behind
an address no claim of it covers) count as the claiming producer's usage directly,
their bytes sent by client class, like flows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass
from fractions import Fraction
from functools import cache

import pyarrow as pa
import pyarrow.compute as pc

from pahna.integrity.records import Hold
from pahna.settle.money import allocate_pool, decimal_text

AUTOMATED, UNCLAIMED, UNLOGGED = "~automated", "~unclaimed", "~unlogged"
USAGE_SCHEMA = pa.schema([("producer_id", pa.string()), ("traffic_class", pa.string()),
                          ("bin_start_ms", pa.int64()), ("bytes", pa.int64())])
LOG_GROUP = ("producer_id", "operator", "tier", "excluded", "traffic_class", "bin_start_ms")
"""How log usage is grouped for `share_operators` (aggregate.queries.LogQuery)."""


@dataclass(frozen=True)
class OperatorDay:
    """One operator's day: its flow bytes against the bytes its edge logs show."""

    operator: str
    day: str  # Tehran-local Jalali date
    flow_bytes: int
    log_bytes: int
    within: bool

    @property
    def gap_text(self) -> str:
        if not self.flow_bytes:
            return "no flows"
        gap = Fraction(abs(self.log_bytes - self.flow_bytes) * 100, self.flow_bytes)
        return f"{float(gap):.2f}%"


@dataclass(frozen=True)
class ContentShares:
    usage: pa.Table  # USAGE_SCHEMA: every producer's usage, operators' flows shared out
    days: tuple[OperatorDay, ...]
    holds: dict[str, tuple[Hold, ...]]  # tenant -> its reconciliation holds
    shares: dict[tuple[str, str], int]  # (operator, recipient) -> bytes for the month
    alone: dict[str, int]  # producer -> bytes its logs counted alone (no operator)

    def from_logs(self, producer_id: str) -> int:
        """Bytes a producer has from logs: its shares of operators' flows, its logs alone."""
        return self.alone.get(producer_id, 0) + sum(
            v for (_, who), v in self.shares.items() if who == producer_id)


Key = tuple[str, str, str]  # operator, day, traffic class


def _recipient(row: dict[str, object]) -> str:
    if row["excluded"] is not None:
        return AUTOMATED
    return str(row["producer_id"]) if row["producer_id"] is not None else UNCLAIMED


class _LogBook:
    """Log bytes sorted by (operator, day, class), recipient and bin."""

    def __init__(self) -> None:
        self.weights: dict[Key, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.bins: dict[tuple[Key, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.edge: dict[tuple[str, str], int] = defaultdict(int)
        self.tenants: dict[str, set[str]] = defaultdict(set)


def _read_logs(logs: pa.Table, operators: Collection[str], day_of: Callable[[int], str],
               alone: list[tuple[str, str, int, int]]) -> _LogBook:
    book = _LogBook()
    for row in logs.select([*LOG_GROUP, "bytes"]).to_pylist():
        if row["tier"] != "edge" or not row["bytes"]:
            continue
        operator, start = str(row["operator"] or ""), int(row["bin_start_ms"])
        recipient = _recipient(row)
        if operator not in operators:
            if recipient[0] != "~":
                alone.append((recipient, row["traffic_class"], start, row["bytes"]))
            continue
        key = (operator, day_of(start), str(row["traffic_class"]))
        book.weights[key][recipient] += row["bytes"]
        book.bins[(key, recipient)][f"{start:020d}"] += row["bytes"]
        book.edge[(operator, key[1])] += row["bytes"]
        if recipient[0] != "~":
            book.tenants[operator].add(recipient)
    return book


def _split(usage: pa.Table, operators: Collection[str]) -> tuple[pa.Table, pa.Table]:
    """(the operators' flow usage, everyone else's) in USAGE_SCHEMA."""
    usage = usage.select(USAGE_SCHEMA.names).cast(USAGE_SCHEMA)
    mine = pc.fill_null(pc.is_in(usage.column("producer_id"),
                                 value_set=pa.array(sorted(operators), pa.string())), False)
    return usage.filter(mine), usage.filter(pc.invert(mine))


def _flows(usage: pa.Table, day_of: Callable[[int], str]) -> dict[Key, int]:
    out: dict[Key, int] = defaultdict(int)
    for row in usage.to_pylist():
        out[(row["producer_id"], day_of(int(row["bin_start_ms"])), row["traffic_class"])] += \
            int(row["bytes"])
    return out


def _share(flows: dict[Key, int], book: _LogBook, rows: list[tuple[str, str, int, int]],
           shares: dict[tuple[str, str], int]) -> None:
    for key in sorted(set(flows) | set(book.weights)):
        total = flows.get(key, 0)
        weights = dict(book.weights.get(key, {})) or {UNLOGGED: 1}
        for recipient, share in sorted(allocate_pool(total, weights).items()):
            shares[(key[0], recipient)] = shares.get((key[0], recipient), 0) + share
            if recipient[0] == "~" or not share:
                continue
            for label, part in sorted(allocate_pool(share, book.bins[(key, recipient)]).items()):
                if part:
                    rows.append((recipient, key[2], int(label), part))


def _reconcile(flows: dict[Key, int], book: _LogBook, tolerance: Fraction
               ) -> list[OperatorDay]:
    per_day: dict[tuple[str, str], int] = defaultdict(int)
    for (operator, day, _), value in flows.items():
        per_day[(operator, day)] += value
    out = []
    for operator, day in sorted(set(per_day) | set(book.edge)):
        flow, log = per_day.get((operator, day), 0), book.edge.get((operator, day), 0)
        within = abs(log - flow) <= tolerance * flow if flow else log == 0
        out.append(OperatorDay(operator, day, flow, log, within))
    return out


GAP_REASON = "log_flow_gap"
"""The reason code of a hold put by reconciliation (integrity.records.Hold)."""


def _holds(days: list[OperatorDay], book: _LogBook, tolerance: Fraction
           ) -> dict[str, tuple[Hold, ...]]:
    """Per tenant, one hold for each day an operator serving it is out of tolerance:
    its log bytes as the figure, its flow bytes as the baseline, the tolerance as the
    threshold, the operator, day and gap in the signal."""
    out: dict[str, list[Hold]] = defaultdict(list)
    for day in days:
        if day.within:
            continue
        hold = Hold(GAP_REASON, f"operator {day.operator}, {day.day}: log bytes against "
                    f"flow bytes ({day.gap_text})", str(day.log_bytes), str(day.flow_bytes),
                    decimal_text(tolerance))
        for tenant in sorted(book.tenants[day.operator]):
            out[tenant].append(hold)
    return {tenant: tuple(found) for tenant, found in sorted(out.items())}


def share_operators(usage: pa.Table, logs: pa.Table, operators: Collection[str],
                    tolerance: Fraction, day_of: Callable[[int], str]) -> ContentShares:
    """Usage with every operator's flows shared among its tenants by their log bytes,
    logs alone added for servers of no operator; each operator-day reconciled.

    `usage`: flow usage by producer_id, traffic_class, bin_start_ms; `logs`: log usage
    grouped by LOG_GROUP (counted or not); `day_of`: the day a bin start falls on."""
    day_of = cache(day_of)
    rows: list[tuple[str, str, int, int]] = []
    operated, others = _split(usage, operators)
    flows = _flows(operated, day_of)
    book = _read_logs(logs, operators, day_of, rows)
    shares: dict[tuple[str, str], int] = {}
    days = _reconcile(flows, book, tolerance)
    alone: dict[str, int] = defaultdict(int)
    for pid, _, _, value in rows:
        alone[pid] += value
    _share(flows, book, rows, shares)
    table = pa.concat_tables([others, pa.Table.from_pylist(
        [dict(zip(USAGE_SCHEMA.names, row, strict=True)) for row in rows], USAGE_SCHEMA)])
    return ContentShares(table, tuple(days), _holds(days, book, tolerance), shares,
                         dict(alone))
