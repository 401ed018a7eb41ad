"""The figures each page and API answer shows, as typed models (the API's schema)."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from pahna.calendar import JalaliMonth
from pahna.errors import PeriodError
from pahna.parties import Producer
from pahna.registry.provinces import BY_CODE, PROVINCES
from pahna.web import finals
from pahna.web.portal import Portal
from pahna.web.problems import Problem
from pahna.web.snapshots import (
    PeriodSnapshot,
    StatementFigures,
    daily_bytes,
    five_minute_bytes,
    read_statements,
    summary_path,
)
from pahna.web.states import cached_state

TOP_PRODUCERS = 10
T = TypeVar("T")
PERIOD_PATTERN = r"^1[34]\d\d-(0[1-9]|1[0-2])$"
"""A Jalali month of the years 1300-1499, e.g. 1404-08."""


class ProducerFigures(BaseModel):
    id: str
    name: str
    name_fa: str
    province: str
    type: str
    bytes: int
    claim_rial: int
    amount_rial: int


class ProvinceFigures(BaseModel):
    code: str
    name_en: str
    name_fa: str
    producers: int
    bytes: int
    amount_rial: int


class MonthFigures(BaseModel):
    period: str
    bytes: int
    amount_rial: int


class Overview(BaseModel):
    period: str
    bytes: int
    amount_rial: int
    unattributed_bytes: int
    provinces: list[ProvinceFigures]
    top_producers: list[ProducerFigures]
    trend: list[MonthFigures]


class ProvincePage(BaseModel):
    period: str
    province: ProvinceFigures
    producers: list[ProducerFigures]


class DayFigures(BaseModel):
    day: int
    date: str
    domestic: int
    international: int
    unknown: int


class ProducerUsage(BaseModel):
    period: str
    producer: ProducerFigures
    by_class: dict[str, int]
    daily: list[DayFigures]
    day: int
    five_minute_bytes: list[int]


class TypeFigures(BaseModel):
    type: str
    producers: int
    amount_rial: int


class PublicReport(BaseModel):
    period: str
    amount_rial: int
    bytes: int
    by_province: list[ProvinceFigures]
    by_type: list[TypeFigures]
    producers: list[ProducerFigures]
    status: str = "final"
    """Whose figures these are: final, paid (a final that was paid) or draft."""
    revision: int | None = None
    content_hash: str | None = None


class ProducerStatement(ProducerFigures):
    """A producer's statement: the final in force (with its seal's hash), else the draft."""

    status: str
    revision: int | None
    content_hash: str | None


def choose_period(portal: Portal, period: str | None) -> str:
    periods = portal.snapshots.periods()
    if period is None:
        if not periods:
            raise Problem(404, "no settled period yet")
        return periods[0]
    try:
        text = str(JalaliMonth.parse(period))
    except PeriodError as exc:
        raise Problem(400, str(exc)) from exc
    if text not in periods:
        raise Problem(404, f"no settlement for period {text}")
    return text


def producer_figures(producer: Producer, figures: StatementFigures | None) -> ProducerFigures:
    return ProducerFigures(
        id=producer.id, name=producer.name, name_fa=producer.name_fa,
        province=producer.province, type=producer.type,
        bytes=figures.bytes if figures else 0,
        claim_rial=figures.claim_rial if figures else 0,
        amount_rial=figures.amount_rial if figures else 0)


def all_producer_figures(portal: Portal, snap: PeriodSnapshot) -> list[ProducerFigures]:
    return [producer_figures(p, snap.statements.get(p.id))
            for p in portal.directory.producers().values()]


def province_figures(rows: list[ProducerFigures]) -> list[ProvinceFigures]:
    out = []
    for province in PROVINCES:
        mine = [r for r in rows if r.province == province.code]
        out.append(ProvinceFigures(
            code=province.code, name_en=province.name_en, name_fa=province.name_fa,
            producers=len(mine), bytes=sum(r.bytes for r in mine),
            amount_rial=sum(r.amount_rial for r in mine)))
    return sorted(out, key=lambda p: (-p.amount_rial, p.code))


@lru_cache(maxsize=256)
def _month_figures(path: str, _mtime_ns: int) -> tuple[int, int]:
    figures = read_statements(Path(path)).values()
    return sum(f.bytes for f in figures), sum(f.amount_rial for f in figures)


def trend(portal: Portal) -> list[MonthFigures]:
    out = []
    for period in sorted(portal.snapshots.periods()):
        path = summary_path(portal.workspace, period)
        total_bytes, amount = _month_figures(str(path), path.stat().st_mtime_ns)
        out.append(MonthFigures(period=period, bytes=total_bytes, amount_rial=amount))
    return out


def memoized(portal: Portal, snap: PeriodSnapshot, name: str,
             compute: Callable[[], T]) -> T:
    """`compute()` once per snapshot and version of the producer directory."""
    portal.directory.producers()
    key = (name, portal.directory.version)
    if key not in snap.memo:
        snap.memo[key] = compute()
    value: T = snap.memo[key]  # type: ignore[assignment]
    return value


def overview(portal: Portal, period: str) -> Overview:
    snap = portal.snapshots.get(period)
    return memoized(portal, snap, "overview", lambda: _overview(portal, snap))


def _overview(portal: Portal, snap: PeriodSnapshot) -> Overview:
    period = snap.period
    rows = all_producer_figures(portal, snap)
    top = sorted(rows, key=lambda r: (-r.amount_rial, r.id))[:TOP_PRODUCERS]
    return Overview(period=period, bytes=snap.total_bytes, amount_rial=snap.total_rial,
                    unattributed_bytes=snap.unattributed_bytes,
                    provinces=province_figures(rows), top_producers=top, trend=trend(portal))


def province_page(portal: Portal, code: str, period: str) -> ProvincePage:
    if code not in BY_CODE:
        raise Problem(404, f"no province {code!r}")
    snap = portal.snapshots.get(period)
    rows = [producer_figures(p, snap.statements.get(p.id))
            for p in portal.directory.in_province(code)]
    rows.sort(key=lambda r: (-r.amount_rial, r.id))
    (figures,) = [p for p in province_figures(rows) if p.code == code]
    return ProvincePage(period=period, province=figures, producers=rows)


def producer_usage(portal: Portal, producer: Producer, period: str,
                   day: int | None) -> ProducerUsage:
    """A producer's usage; the default view (busiest day) is kept with the snapshot."""
    snap = portal.snapshots.get(period)
    if day is None:
        return memoized(portal, snap, f"usage:{producer.id}",
                        lambda: _producer_usage(snap, producer, None))
    return _producer_usage(snap, producer, day)


def _producer_usage(snap: PeriodSnapshot, producer: Producer, day: int | None
                    ) -> ProducerUsage:
    period = snap.period
    month = snap.month
    series = snap.series(producer.id)
    daily = daily_bytes(series, month)
    busiest = max(range(len(daily)), key=lambda i: sum(daily[i].values())) + 1 if daily else 1
    chosen = day if day is not None else busiest
    if not 1 <= chosen <= month.days:
        raise Problem(400, f"day must be between 1 and {month.days}")
    return ProducerUsage(
        period=period, producer=producer_figures(producer, snap.statements.get(producer.id)),
        by_class=series.by_class(),
        daily=[DayFigures(day=i + 1, date=f"{month}-{i + 1:02d}", **d)
               for i, d in enumerate(daily)],
        day=chosen, five_minute_bytes=five_minute_bytes(series, month, chosen))


def public_report(portal: Portal, period: str) -> PublicReport:
    """Published figures: the final statements in force only, never a draft (404)."""
    statements = finals.shown(portal.workspace, period)
    if not statements.final:
        raise Problem(404, f"{period} has no final statement yet; only final statements "
                      "are published")
    return period_report(portal, statements)


def period_report(portal: Portal, statements: finals.Shown) -> PublicReport:
    """The figures of the statements shown for a period (final in force, else draft)."""
    state = statements.state
    figures = statements.statements
    directory = portal.directory.producers()
    rows = sorted((producer_figures(directory.get(pid) or _unlisted(pid, f.province), f)
                   for pid, f in figures.items()), key=lambda r: (-r.amount_rial, r.id))
    types = sorted({r.type for r in rows})
    by_type = [TypeFigures(type=t, producers=sum(1 for r in rows if r.type == t),
                           amount_rial=sum(r.amount_rial for r in rows if r.type == t))
               for t in types]
    return PublicReport(
        period=state.period, amount_rial=sum(r.amount_rial for r in rows),
        bytes=sum(r.bytes for r in rows), by_province=province_figures(rows),
        by_type=by_type, producers=rows,
        status=state.status if statements.final else "draft", revision=state.revision,
        content_hash=state.content_hash)


def _unlisted(producer_id: str, province: str) -> Producer:
    """A producer on a statement that the registry no longer lists."""
    return Producer(producer_id, producer_id, "", province, "other")


def producer_statement(producer: Producer, statements: finals.Shown) -> ProducerStatement:
    figures = statements.statements.get(producer.id)
    if figures is None:
        raise Problem(404, f"no statement for {producer.id} in {statements.state.period}")
    state = statements.state
    return ProducerStatement(
        **producer_figures(producer, figures).model_dump(),
        status=state.status if statements.final else "draft", revision=state.revision,
        content_hash=state.content_hash)


def choose_public_period(portal: Portal, period: str | None) -> str:
    """The period asked for, else the newest with a final statement, else the newest."""
    if period is not None:
        return choose_period(portal, period)
    periods = portal.snapshots.periods()
    final = [p for p in periods if cached_state(portal.workspace.home, p).closed]
    return final[0] if final else choose_period(portal, None)
