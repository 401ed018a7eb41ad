"""What the market's pages and API show (typed models: the API's schema), read from the
published months the portal holds (`market.cache.MarketCache`), never computed here."""

from __future__ import annotations

from pydantic import BaseModel

from pahna.market.board import MEASURES, TrendPoint, province_catalogue, top_items, trend
from pahna.market.build import MarketMonth
from pahna.market.figures import ItemMonth
from pahna.parties import CONTENT_CATEGORIES, ContentItem
from pahna.registry.catalogue import list_items
from pahna.web.portal import Portal
from pahna.web.problems import Problem

TOP = 20
MEASURE_PATTERN = "^(bytes|client_networks)$"
CATEGORY_PATTERN = "^(" + "|".join(CONTENT_CATEGORIES) + ")$"
PROVINCE_PATTERN = r"^IR-\d\d$"


class Ranking(BaseModel):
    period: str
    revision: int
    content_hash: str
    measure: str
    province: str | None
    category: str | None
    items: list[ItemMonth]


class ItemPage(BaseModel):
    item: ContentItem
    trend: list[TrendPoint]


def _month(portal: Portal, period: str | None) -> MarketMonth | None:
    months = portal.market.months() if portal.market else []
    if period is None:
        return months[-1] if months else None
    found = next((m for m in months if m.period == period), None)
    if found is None:
        raise Problem(404, f"no published market figures for {period} (a month is "
                      "published once it is final)")
    return found


def periods(portal: Portal) -> list[str]:
    """Published months, newest first."""
    return [m.period for m in reversed(portal.market.months())] if portal.market else []


def ranking(portal: Portal, period: str | None, measure: str, province: str | None,
            category: str | None) -> Ranking | None:
    if measure not in MEASURES:
        raise Problem(400, f"measure must be one of {MEASURES}")
    month = _month(portal, period)
    if month is None:
        return None
    chosen = top_items(month, measure, province, category, TOP)
    return Ranking(period=month.period, revision=month.revision,
                   content_hash=month.content_hash, measure=measure, province=province,
                   category=category,
                   items=chosen)


def catalogue_item(portal: Portal, content_id: str) -> ContentItem:
    found = next((i for i in list_items(portal.engine) if i.id == content_id), None)
    if found is None:
        raise Problem(404, f"no content item {content_id!r}")
    return found


def item_page(portal: Portal, content_id: str) -> ItemPage:
    item = catalogue_item(portal, content_id)
    return ItemPage(item=item, trend=trend(portal.market.months() if portal.market else [],
                                           item.id))


def province_page(portal: Portal, code: str, period: str | None
                  ) -> tuple[MarketMonth | None, list[tuple[ContentItem, ItemMonth | None]]]:
    month = _month(portal, period)
    return month, province_catalogue(list_items(portal.engine), code, month)
