"""The content market, public: top items of a month (by bytes or distinct client
networks, in a province or category), each item's monthly trend, a province's catalogue,
and the monthly figures as open data (CSV, JSON). Read from published months only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from pahna.ids import id_problem
from pahna.market.opendata import figures_csv, figures_json
from pahna.parties import CONTENT_CATEGORIES
from pahna.registry.provinces import PROVINCES
from pahna.web import marketviews
from pahna.web.marketviews import (
    CATEGORY_PATTERN,
    MEASURE_PATTERN,
    PROVINCE_PATTERN,
    ItemPage,
    Ranking,
)
from pahna.web.pages import render
from pahna.web.permissions import Caller, allow
from pahna.web.portal import Portal, portal_of
from pahna.web.problems import ERROR_RESPONSES, Problem
from pahna.web.views import PERIOD_PATTERN

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/market", responses=ERROR_RESPONSES, tags=["market"])
Anyone = Annotated[Caller, allow("public")]
PortalDep = Annotated[Portal, Depends(portal_of)]
PeriodQuery = Annotated[str | None, Query(pattern=PERIOD_PATTERN)]
MeasureQuery = Annotated[str, Query(pattern=MEASURE_PATTERN)]
ProvinceQuery = Annotated[str | None, Query(pattern=PROVINCE_PATTERN)]
CategoryQuery = Annotated[str | None, Query(pattern=CATEGORY_PATTERN)]
ContentId = Annotated[str, Path(max_length=64)]


def _checked(content_id: str) -> str:
    if id_problem(content_id) is not None:
        raise Problem(404, f"no content item {content_id!r}")
    return content_id


def _province(code: str) -> str:
    if Portal.province(code) is None:
        raise Problem(404, f"no province {code!r}")
    return code


@pages.get("/market")
def market_page(request: Request, caller: Anyone, portal: PortalDep,
                period: PeriodQuery = None, province: ProvinceQuery = None,
                category: CategoryQuery = None) -> Response:
    """The month's top items by bytes and by distinct client networks."""
    by_bytes = marketviews.ranking(portal, period, "bytes", province, category)
    by_clients = marketviews.ranking(portal, period, "client_networks", province, category)
    return render(request, "market.html", by_bytes=by_bytes, by_clients=by_clients,
                  periods=marketviews.periods(portal), province=province,
                  category=category, provinces=PROVINCES, categories=CONTENT_CATEGORIES)


@pages.get("/market/items/{content_id}")
def item_page(request: Request, caller: Anyone, portal: PortalDep,
              content_id: ContentId) -> Response:
    """One item and its figures month by month (a chart)."""
    page = marketviews.item_page(portal, _checked(content_id))
    return render(request, "market_item.html", page=page)


@pages.get("/market/provinces/{code}")
def province_page(request: Request, caller: Anyone, portal: PortalDep,
                  code: Annotated[str, Path(pattern=PROVINCE_PATTERN)],
                  period: PeriodQuery = None) -> Response:
    """A province's catalogue with each entry's figures in the month."""
    month, rows = marketviews.province_page(portal, _province(code), period)
    return render(request, "market_province.html", code=code, month=month, rows=rows,
                  province=Portal.province(code), periods=marketviews.periods(portal))


@api.get("/top")
def top(caller: Anyone, portal: PortalDep, period: PeriodQuery = None,
        measure: MeasureQuery = "bytes", province: ProvinceQuery = None,
        category: CategoryQuery = None) -> Ranking:
    """Top items of a published month (default: the latest) by bytes or client networks."""
    found = marketviews.ranking(portal, period, measure, province, category)
    if found is None:
        raise Problem(404, "no month is published yet (a month is published once final)")
    return found


@api.get("/items/{content_id}")
def item(caller: Anyone, portal: PortalDep, content_id: ContentId) -> ItemPage:
    """A catalogue item and its figures in every published month."""
    return marketviews.item_page(portal, _checked(content_id))


@api.get("/figures.csv", response_class=Response,
         responses={200: {"content": {"text/csv": {}}}})
def figures_as_csv(caller: Anyone, portal: PortalDep) -> Response:
    """Every published month's figures per item (formula-safe CSV)."""
    months = portal.market.months() if portal.market else []
    return Response(figures_csv(months), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="market.csv"'})


@api.get("/figures.json")
def figures_as_json(caller: Anyone, portal: PortalDep) -> JSONResponse:
    """Every published month's figures per item, as JSON."""
    months = portal.market.months() if portal.market else []
    return JSONResponse(figures_json(months),
                        headers={"Content-Disposition": 'inline; filename="market.json"'})
