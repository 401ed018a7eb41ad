"""Rendering pages: one Jinja environment with the language's words, digits and dates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from pahna.web import charts, i18n
from pahna.web.auth import LANG_COOKIE, csrf_token, principal
from pahna.web.problems import Problem

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
_ENV = TEMPLATES.env
_ENV.filters["gb"] = i18n.gigabytes
_ENV.filters["num"] = i18n.number
_ENV.filters["digits"] = i18n.digits
_ENV.globals["five_minute_labels"] = i18n.five_minute_labels
_ENV.globals["month_name"] = i18n.month_name
_ENV.globals["jalali_date"] = i18n.jalali_date
_ENV.globals["chart_profile"] = charts.profile
_ENV.globals["chart_networks"] = charts.network_bars


def language(request: Request) -> str:
    lang = request.cookies.get(LANG_COOKIE, "fa")
    return lang if lang in i18n.LANGUAGES else "fa"


def chart_json(data: object) -> Markup:
    """JSON for a <script type="application/json"> block, safe against </script>."""
    text = json.dumps(data, ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    lang = language(request)
    try:
        who = principal(request)
    except Problem:
        from pahna.web.auth import PUBLIC
        who = PUBLIC
    base = {"request": request, "lang": lang, "dir": "rtl" if lang == "fa" else "ltr",
            "t": lambda key: i18n.word(key, lang), "who": who,
            "csrf": csrf_token(request), "chart_json": chart_json}
    return TEMPLATES.TemplateResponse(request, name, {**base, **context}, status_code=status)


def render_error(request: Request, problem: Problem) -> Response:
    if problem.status == 401:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    keys = {403: "forbidden", 404: "not_found"}
    return render(request, "error.html", status=problem.status,
                  title_key=keys.get(problem.status, "refused" if problem.status < 500
                                     else "server_error"),
                  message=problem.message if problem.status < 500 else "",
                  status_code=problem.status)
