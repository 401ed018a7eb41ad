"""Geometry of the review queue's server-side SVG charts (templates/_charts.html draws
them): a held producer's share of bytes per hour of the day or per day of the month
against the nation's, and its largest client networks' shares of its bytes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

WIDTH = 480
HEIGHT = 120
BAR_HEIGHT = 14


@dataclass(frozen=True)
class Profile:
    """Two polylines over the same axis, and where the axis labels go."""

    own: str
    nation: str
    ticks: list[tuple[float, int]]  # (x, the hour or day it marks)


def points(values: Sequence[float], top: float) -> str:
    """An SVG polyline's points: values left to right, `top` at the chart's top."""
    if not values:
        return ""
    step = WIDTH / max(len(values) - 1, 1)
    scale = HEIGHT / top if top > 0 else 0.0
    return " ".join(f"{i * step:.1f},{HEIGHT - v * scale:.1f}" for i, v in enumerate(values))


def profile(own: Sequence[float], nation: Sequence[float], every: int, first: int
            ) -> Profile:
    """The producer's and the nation's series on one scale; a label every `every`
    points, numbered from `first` (hour 0, day 1)."""
    top = max([*own, *nation, 0.0])
    step = WIDTH / max(len(own) - 1, 1)
    return Profile(points(own, top), points(nation, top),
                   [(i * step, i + first) for i in range(0, len(own), every)])


@dataclass(frozen=True)
class Bar:
    label: str
    share: float  # of the producer's bytes
    width: float
    y: int


def network_bars(found: dict[str, Any]) -> list[Bar]:
    """One bar per client network shown, then one for all the others (if any)."""
    total = int(found.get("total_bytes", 0))
    rows = [(str(net), int(value)) for net, value in found.get("networks", [])]
    if found.get("other_networks"):
        rows.append((f"+{int(found['other_networks'])}", int(found["other_bytes"])))
    return [Bar(label, value / total if total else 0.0,
                WIDTH * value / total if total else 0.0, i * (BAR_HEIGHT + 4))
            for i, (label, value) in enumerate(rows)]
