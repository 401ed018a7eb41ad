"""The one place the portal is wired: routers, error handlers, static files, headers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from pahna import __version__
from pahna.web.auth import CSRF_COOKIE, new_csrf, set_cookie
from pahna.web.portal import Portal
from pahna.web.problems import install_handlers
from pahna.web.routes import api, forms, pages, session
from pahna.workspace import Workspace

STATIC = Path(__file__).parent / "static"
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'; form-action 'self'"),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def create_app(workspace: Workspace, secure_cookies: bool = False) -> FastAPI:
    app = FastAPI(title="pahna portal", version=__version__, docs_url=None, redoc_url=None,
                  openapi_url="/api/openapi.json",
                  description="Bandwidth settlement: overview, provinces, producers, "
                  "statements, disputes and public totals. Errors share one shape: "
                  '{"error": {"status", "code", "message"}}.')
    app.state.portal = Portal.open(workspace, secure_cookies)
    install_handlers(app)
    app.middleware("http")(_browser_guard)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (session, pages, forms, api):
        app.include_router(module.router)
    return app


async def _browser_guard(request: Request,
                         call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Give every browser a CSRF cookie, and every answer the security headers."""
    cookie = request.cookies.get(CSRF_COOKIE)
    request.state.csrf = cookie or new_csrf()
    response = await call_next(request)
    if not cookie:
        portal: Portal = request.app.state.portal
        set_cookie(response, CSRF_COOKIE, request.state.csrf, portal.secure_cookies)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.url.path.startswith("/static/"):
        response.headers["Cache-Control"] = "public, max-age=86400"
    else:
        response.headers.setdefault("Cache-Control", "no-store")
    return response
