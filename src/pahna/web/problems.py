"""One JSON error shape for the whole API, and HTML pages for people.

Every API error is ``{"error": {"status": 404, "code": "not_found", "message": "..."}}``;
pahna's own exceptions are mapped to statuses here, in one place.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from pahna import errors

LOG = logging.getLogger("pahna.web")
CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 409: "conflict", 422: "invalid", 429: "throttled",
         500: "server_error"}
STATUS_OF: tuple[tuple[type[errors.PahnaError], int], ...] = (
    (errors.NotFoundError, 404),
    (errors.ApprovalError, 403),
    (errors.GrantNotFoundError, 404),
    (errors.UploadError, 400),
    (errors.GrantError, 409),
    (errors.ClaimConflictError, 409),
    (errors.InvalidValueError, 400),
    (errors.RegistryError, 400),
    (errors.PeriodError, 400),
    (errors.SettlementError, 409),
    (errors.PahnaError, 500),
)


class Problem(Exception):
    """An error the portal answers on purpose, with its HTTP status."""

    def __init__(self, status: int, message: str, code: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or CODES.get(status, "error")
        self.message = message
        self.headers = headers or {}


class ErrorBody(BaseModel):
    status: int
    code: str
    message: str


class ErrorDocument(BaseModel):
    """The shape of every API error."""

    error: ErrorBody


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorDocument, "description": CODES[status]}
    for status in (400, 401, 403, 404, 409, 422, 429, 500)
}


def error_json(problem: Problem) -> JSONResponse:
    body = {"error": {"status": problem.status, "code": problem.code,
                      "message": problem.message}}
    return JSONResponse(body, status_code=problem.status, headers=problem.headers)


def _problem_from(exc: Exception) -> Problem:
    if isinstance(exc, Problem):
        return exc
    if isinstance(exc, StarletteHTTPException):
        return Problem(exc.status_code, str(exc.detail), headers=dict(exc.headers or {}))
    if isinstance(exc, RequestValidationError | ValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return Problem(422, f"{where}: {first.get('msg', 'invalid request')}")
    if isinstance(exc, errors.PahnaError):
        status = next(code for kind, code in STATUS_OF if isinstance(exc, kind))
        return Problem(status, str(exc) if status < 500 else "internal error")
    LOG.exception("unhandled error", exc_info=exc)
    return Problem(500, "internal error")


def install_handlers(app: FastAPI) -> None:
    async def handle(request: Request, exc: Exception) -> Response:
        problem = _problem_from(exc)
        if problem.status == 500 and isinstance(exc, errors.PahnaError):
            LOG.error("pahna error: %s", exc)
        if request.url.path.startswith("/api/"):
            return error_json(problem)
        from pahna.web.pages import render_error
        return render_error(request, problem)

    for kind in (Problem, StarletteHTTPException, RequestValidationError, ValidationError,
                 errors.PahnaError, Exception):
        app.add_exception_handler(kind, handle)
