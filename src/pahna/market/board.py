"""What the market pages and API show, read from published months (`build.MarketMonth`):
the top items of a month by bytes or by distinct client networks, in a province or a
category or everywhere; an item's monthly trend; a province's catalogue. Ties are broken
by item id, so a ranking is the same wherever it is read."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pahna.market.build import MarketMonth
from pahna.market.figures import ItemMonth
from pahna.parties import ContentItem

MEASURES = ("bytes", "client_networks")


@dataclass(frozen=True)
class TrendPoint:
    period: str
    bytes: int
    client_networks: int


def top_items(month: MarketMonth, measure: str = "bytes", province: str | None = None,
              category: str | None = None, limit: int = 20) -> list[ItemMonth]:
    """The month's items with the most `measure` (items with none of it left out)."""
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {MEASURES}, not {measure!r}")
    chosen = [item for item in month.items
              if (province is None or item.province == province)
              and (category is None or item.category == category)
              and getattr(item, measure) > 0]
    chosen.sort(key=lambda item: (-int(getattr(item, measure)), item.content_id))
    return chosen[:limit]


def trend(months: Iterable[MarketMonth], content_id: str) -> list[TrendPoint]:
    """The item's figures month by month, oldest first (0 in a published month where it
    had none)."""
    out = []
    for month in sorted(months, key=lambda m: m.period):
        found = next((i for i in month.items if i.content_id == content_id), None)
        out.append(TrendPoint(month.period, found.bytes if found else 0,
                              found.client_networks if found else 0))
    return out


def province_catalogue(items: Sequence[ContentItem], province: str,
                       month: MarketMonth | None) -> list[tuple[ContentItem, ItemMonth | None]]:
    """The province's active catalogue entries, each with its figures in `month` (None:
    none that month), the most bytes first, then by id."""
    figures = {i.content_id: i for i in month.items} if month is not None else {}
    mine = [item for item in items if item.province == province and item.status == "active"]
    pairs = [(item, figures.get(item.id)) for item in mine]
    pairs.sort(key=lambda pair: (-(pair[1].bytes if pair[1] else 0), pair[0].id))
    return pairs
