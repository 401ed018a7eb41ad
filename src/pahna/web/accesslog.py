"""The portal's access log: a line per request, with nothing secret in it.

Written: the method, the path (never its query string: a link may carry a token), the
status, the milliseconds taken, the bytes of the body sent and the client's address (the
one X-Forwarded-For gave, when the peer is a trusted proxy: the proxy middleware runs
first). Never written: headers (Authorization, Cookie, Set-Cookie), query strings, bodies.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pahna.ops.logs import log

LOG = logging.getLogger("pahna.access")


class AccessLog:
    """Pure ASGI middleware writing one line per HTTP request to `pahna.access`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        seen = {"status": 500, "bytes": 0}

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = int(message["status"])
            elif message["type"] == "http.response.body":
                seen["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            client = scope.get("client") or ("-", 0)
            took = round((time.perf_counter() - started) * 1000, 1)
            method, path = scope["method"], scope["path"]
            log(LOG, logging.INFO, "request",
                f'{client[0]} "{method} {path}" {seen["status"]} {seen["bytes"]} {took} ms',
                client=client[0], method=method, path=path, status=seen["status"],
                bytes=seen["bytes"], ms=took)
