"""Rankings and trends of published months, on hand-made figures: the most first, ties
by id, filters by province and category, the page's limit, 0 in a month without the
item, a province's catalogue with its figures."""

from __future__ import annotations

from dataclasses import replace

import pytest

from pahna.market.board import province_catalogue, top_items, trend
from pahna.market.build import MarketMonth
from pahna.market.figures import ItemMonth
from pahna.parties import ContentItem

BASE = ItemMonth("1404-08", "", "p", "T", "ت", "video", "fa", "IR-25", 0, 0)


def _month(period: str, *figures: tuple[str, str, str, int, int]) -> MarketMonth:
    items = tuple(replace(BASE, period=period, content_id=cid, province=province,
                          category=category, bytes=size, client_networks=nets)
                  for cid, province, category, size, nets in figures)
    return MarketMonth(period, 1, "h" * 64, items)


ABAN = _month("1404-08", ("b", "IR-25", "video", 50, 3), ("a", "IR-25", "news", 50, 9),
              ("c", "IR-23", "video", 70, 0), ("d", "IR-23", "news", 0, 4))


def test_rankings_the_most_first_ties_by_id_filters() -> None:
    assert [i.content_id for i in top_items(ABAN)] == ["c", "a", "b"]
    assert [i.content_id for i in top_items(ABAN, "client_networks")] == ["a", "d", "b"]
    assert [i.content_id for i in top_items(ABAN, province="IR-25")] == ["a", "b"]
    assert [i.content_id for i in top_items(ABAN, category="news")] == ["a"]
    assert [i.content_id for i in top_items(ABAN, limit=1)] == ["c"]
    with pytest.raises(ValueError):
        top_items(ABAN, "amount")


def test_the_limit_of_a_page() -> None:
    many = _month("1404-08", *((f"i{n:02d}", "IR-25", "video", n + 1, 1) for n in range(30)))
    shown = top_items(many)
    assert len(shown) == 20 and shown[0].content_id == "i29"


def test_a_trend_has_0_in_a_month_without_the_item() -> None:
    azar = _month("1404-09", ("a", "IR-25", "news", 7, 2))
    points = trend([azar, ABAN], "b")
    assert [(p.period, p.bytes, p.client_networks) for p in points] == [
        ("1404-08", 50, 3), ("1404-09", 0, 0)]


def test_a_provinces_catalogue_active_entries_the_most_bytes_first() -> None:
    entries = [ContentItem(cid, "p", "T", "", "video", "fa", province, status)
               for cid, province, status in (("a", "IR-25", "active"), ("b", "IR-25", "active"),
                                             ("z", "IR-25", "active"),
                                             ("w", "IR-25", "withdrawn"),
                                             ("c", "IR-23", "active"))]
    rows = province_catalogue(entries, "IR-25", ABAN)
    assert [(item.id, f.bytes if f else None) for item, f in rows] == [
        ("a", 50), ("b", 50), ("z", None)]
