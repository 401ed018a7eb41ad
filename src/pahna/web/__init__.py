"""The portal: a FastAPI application with server-rendered pages and a JSON API.

    app.py        wiring: routers, error handlers, static files, security headers
    accounts.py   accounts, roles, API tokens, sessions, disputes (own tables)
    auth.py       who is asking: session cookie or bearer token; CSRF; throttling
    access.py     what a principal may see and do
    snapshots.py  per-period figures, computed once through the pipeline and cached
    i18n.py       Persian and English text, digits and Jalali dates
    problems.py   one JSON error shape for the API; HTML pages for 403/404/500
    routes/       pages, forms, API
"""
