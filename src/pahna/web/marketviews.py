"""What the market's pages and API show (typed models: the API's schema), read from the
published months the portal holds (`market.cache.MarketCache`), never computed here."""

from __future__ import annotations

from pydantic import BaseModel

from pahna.market.board import MEASURES, province_catalogue, top_items, trend
from pahna.market.build import MarketMonth
from pahna.parties import CONTENT_CATEGORIES, ContentItem
from pahna.registry.catalogue import list_items
from pahna.web.portal import Portal
from pahna.web.problems import Problem

TOP = 20
MEASURE_PATTERN = "^(bytes|client_networks)$"
CATEGORY_PATTERN = "^(" + "|".join(CONTENT_CATEGORIES) + ")$"
PROVINCE_PATTERN = r"^IR-\d\d$"


class ItemFigures(BaseModel):
    content_id: str
    producer_id: str
    title: str
    title_fa: str
    category: str
    language: str
    province: str
    bytes: int
    client_networks: int


class Ranking(BaseModel):
    period: str
    revision: int
    content_hash: str
    measure: str
    province: str | None
    category: str | None
    items: list[ItemFigures]


class TrendFigures(BaseModel):
    period: str
    bytes: int
    client_networks: int


class ItemPage(BaseModel):
    content_id: str
    producer_id: str
    title: str
    title_fa: str
    category: str
    language: str
    province: str
    status: str
    trend: list[TrendFigures]


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
                   items=[ItemFigures.model_validate(i, from_attributes=True) for i in chosen])


def catalogue_item(portal: Portal, content_id: str) -> ContentItem:
    found = next((i for i in list_items(portal.engine) if i.id == content_id), None)
    if found is None:
        raise Problem(404, f"no content item {content_id!r}")
    return found


def item_page(portal: Portal, content_id: str) -> ItemPage:
    item = catalogue_item(portal, content_id)
    points = trend(portal.market.months() if portal.market else [], item.id)
    return ItemPage(content_id=item.id, producer_id=item.producer_id, title=item.title,
                    title_fa=item.title_fa, category=item.category, language=item.language,
                    province=item.province, status=item.status,
                    trend=[TrendFigures(period=p.period, bytes=p.bytes,
                                        client_networks=p.client_networks) for p in points])


def province_page(portal: Portal, code: str, period: str | None
                  ) -> tuple[MarketMonth | None, list[tuple[ContentItem, ItemFigures | None]]]:
    month = _month(portal, period)
    pairs = province_catalogue(list_items(portal.engine), code, month)
    return month, [(item, ItemFigures.model_validate(f, from_attributes=True) if f else None)
                   for item, f in pairs]
