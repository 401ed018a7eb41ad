"""The board's open data: OCDS release and record packages (all, and per Jalali month),
the 360Giving-style awards CSV and the red flags. Public, read-only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse, Response

from pahna.grants.giving import awards_csv
from pahna.grants.ocds.packages import PackageCache, in_month
from pahna.web import grantviews
from pahna.web.permissions import Caller, allow
from pahna.web.portal import Portal, portal_of
from pahna.web.problems import ERROR_RESPONSES, Problem
from pahna.web.views import PERIOD_PATTERN

router = APIRouter(prefix="/api/grants", responses=ERROR_RESPONSES, tags=["grants"])
Anyone = Annotated[Caller, allow("public")]
PortalDep = Annotated[Portal, Depends(portal_of)]


def _json(data: Any, name: str) -> JSONResponse:
    return JSONResponse(data, headers={"Content-Disposition": f'inline; filename="{name}"'})


@router.get("/releases.json")
def releases(caller: Anyone, portal: PortalDep) -> JSONResponse:
    """A release package of every release the board has published."""
    return _json(open_data(portal).package("releases.json"), "releases.json")


@router.get("/records.json")
def records(caller: Anyone, portal: PortalDep) -> JSONResponse:
    """A record package: one record per call, compiled from its releases."""
    return _json(open_data(portal).package("records.json"), "records.json")


@router.get("/months/{period}.json")
def month(caller: Anyone, portal: PortalDep,
          period: Annotated[str, Path(pattern=PERIOD_PATTERN)]) -> JSONResponse:
    """The releases dated in one Jalali month, as a release package (bulk download)."""
    cache = open_data(portal)
    if not in_month(cache.releases(), period):
        raise Problem(404, f"no release in {period}")
    return _json(cache.package(f"months/{period}.json"), f"{period}.json")


def open_data(portal: Portal) -> PackageCache:
    return portal.open_data or PackageCache(portal.engine, portal.workspace.config.grants)


@router.get("/awards.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}}})
def awards(caller: Anyone, portal: PortalDep) -> Response:
    """Awards as a 360Giving-style CSV."""
    return Response(awards_csv(portal.board(), portal.workspace.config.grants),
                    media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="awards.csv"'})


@router.get("/flags")
def flags(caller: Anyone, portal: PortalDep) -> list[dict[str, str | None]]:
    """The red flags the board raises now."""
    found = grantviews.board_page(portal.board(), portal.workspace.config.grants)["flags"]
    return [{"code": f.code, "call_id": f.call_id, "subject": f.subject, "detail": f.detail}
            for f in found]
