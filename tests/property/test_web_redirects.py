"""After log-in and language switches the portal only ever redirects to its own paths."""

from __future__ import annotations

from urllib.parse import urljoin

from hypothesis import given
from hypothesis import strategies as st

from pahna.web.routes.session import safe_next

BASE = "http://127.0.0.1:8000/login"


@given(st.text(max_size=60) | st.from_regex(r"[/\\a-z:.\t ]{0,20}", fullmatch=True))
def test_redirect_target_never_leaves_the_site(target: str) -> None:
    chosen = safe_next(target)
    resolved = urljoin(BASE, chosen.replace("\t", "").replace("\n", "").replace("\r", ""))
    assert resolved.startswith("http://127.0.0.1:8000/")
    assert chosen == target or chosen == "/"
