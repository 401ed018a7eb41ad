"""The review queue: held lines of final months with their evidence, and a reviewer's
release or confirmation (ministry or auditor), each declared once through `allow`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import RedirectResponse, Response

from pahna.reviewing import decide_hold, review_queue
from pahna.web.pages import render
from pahna.web.permissions import Caller, allow
from pahna.web.portal import Portal, portal_of
from pahna.web.views import PERIOD_PATTERN

router = APIRouter(include_in_schema=False)
PortalDep = Annotated[Portal, Depends(portal_of)]
MAX_REASON = 2000


@router.get("/integrity")
def queue_page(request: Request,
               caller: Annotated[Caller, allow("admin", "auditor", scope="read")],
               portal: PortalDep) -> Response:
    """Held lines, pending first, with the signals, scores and baselines behind them."""
    return render(request, "integrity.html", queue=review_queue(portal.workspace))


@router.post("/integrity/{period}/{producer_id}")
def decision_form(caller: Annotated[Caller, allow("admin", "auditor", scope="settlement:write",
                                                  target="producer", write=True)],
                  portal: PortalDep,
                  period: Annotated[str, Path(pattern=PERIOD_PATTERN)],
                  decision: Annotated[str, Form(pattern="^(release|confirm)$")],
                  reason: Annotated[str, Form(min_length=1, max_length=MAX_REASON)],
                  ) -> Response:
    """Release (paid in the next payment batch) or confirm (withheld) a held line."""
    assert caller.producer is not None
    decide_hold(portal.workspace, period, caller.producer.id, decision, reason,
                caller.actor)
    return RedirectResponse(f"/integrity#hold-{period}-{caller.producer.id}",
                            status_code=303)
