"""The one place the portal is wired: routers, error handlers, static files, headers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from pahna import __version__
from pahna.errors import ConfigError
from pahna.registry.database import read_only_transactions
from pahna.web.accesslog import AccessLog
from pahna.web.auth import CSRF_COOKIE, new_csrf, set_cookie
from pahna.web.permissions import undeclared_routes
from pahna.web.portal import Portal
from pahna.web.problems import install_handlers
from pahna.web.routes import (
    accounts,
    api,
    catalogue,
    forms,
    grantoffice,
    grants,
    grantsapi,
    integrity,
    market,
    pages,
    session,
)
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


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start refreshing snapshots outside requests; stop it when the portal stops."""
    portal: Portal = app.state.portal
    portal.snapshots.start()
    yield
    portal.snapshots.stop()
    if portal.market is not None:  # its builder runs under `pahna serve` only
        portal.market.stop()


def create_app(workspace: Workspace, secure_cookies: bool = False) -> FastAPI:
    app = FastAPI(title="pahna portal", version=__version__, docs_url=None, redoc_url=None,
                  lifespan=lifespan,
                  openapi_url="/api/openapi.json",
                  description="Bandwidth settlement: overview, provinces, producers, "
                  "statements, disputes and public totals. Errors share one shape: "
                  '{"error": {"status", "code", "message"}}.')
    app.state.portal = Portal.open(workspace, secure_cookies)
    install_handlers(app)
    app.add_middleware(BrowserGuard, secure_cookies=secure_cookies)
    app.add_middleware(ReadOnlyRequests)
    if workspace.config.logging.access_log:  # inside the proxy middleware: its client
        app.add_middleware(AccessLog)
    proxies = workspace.config.portal.trusted_proxies
    if proxies:  # outermost: the client's address, from X-Forwarded-For of these only
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(proxies))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (session, pages, forms, accounts, integrity, grants, grantoffice,
                   grantsapi, api):
        app.include_router(module.router)
    for content in (market, catalogue):  # the content market (docs/market.md)
        app.include_router(content.pages)
        app.include_router(content.api)
    missing = undeclared_routes(app)
    if missing:
        raise ConfigError("routes that declare no permission (pahna.web.permissions.allow): "
                          + "; ".join(missing))
    return app


class ReadOnlyRequests:
    """Pure ASGI middleware: a GET or HEAD request's registry transactions only read, so
    on SQLite they begin deferred instead of queueing for the write lock
    (registry.database.read_only_transactions); other methods keep BEGIN IMMEDIATE."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("method") in ("GET", "HEAD"):
            with read_only_transactions():
                await self.app(scope, receive, send)
            return
        await self.app(scope, receive, send)


class BrowserGuard:
    """Pure ASGI middleware: give every browser a CSRF cookie and every answer the
    security headers (no per-request task, unlike Starlette's BaseHTTPMiddleware)."""

    def __init__(self, app: ASGIApp, secure_cookies: bool) -> None:
        self.app = app
        self.secure_cookies = secure_cookies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cookie = Request(scope).cookies.get(CSRF_COOKIE)
        token = cookie or new_csrf()
        scope.setdefault("state", {})["csrf"] = token
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                headers.setdefault("Cache-Control",
                                   "public, max-age=86400" if static else "no-store")
                if not cookie:
                    jar = Response()
                    set_cookie(jar, CSRF_COOKIE, token, self.secure_cookies)
                    headers.append("set-cookie", jar.headers["set-cookie"])
            await send(message)

        await self.app(scope, receive, send_with_headers)
