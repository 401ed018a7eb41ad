"""Producers keep their own catalogue entries: create, edit, withdraw, and ask for a host
(or host and path) claim on an entry, which becomes a claim only when the ministry
approves it (`registry.catalogue`). The producer is the door's target (its own, or 404);
an entry named in the URL must be that producer's (404 otherwise, whoever asks), and a
form never chooses the producer."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from pahna.calendar import JalaliMonth
from pahna.errors import ClosedPeriodError, NotFoundError, PahnaError
from pahna.parties import CONTENT_CATEGORIES, ContentItem, Producer
from pahna.registry.catalogue import (
    decide_request,
    list_items,
    list_requests,
    put_item,
    request_claim,
)
from pahna.registry.claimbook import ClaimSpec
from pahna.web.pages import render
from pahna.web.permissions import Caller, allow
from pahna.web.portal import Portal, portal_of
from pahna.web.problems import ERROR_RESPONSES, Problem
from pahna.web.routes.api import ProducerPath
from pahna.web.views import PERIOD_PATTERN

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/producers", responses=ERROR_RESPONSES, tags=["catalogue"])
PortalDep = Annotated[Portal, Depends(portal_of)]
Viewer = Annotated[Caller, allow("admin", "auditor", "officer", "producer", scope="read",
                                 target="producer")]
Editor = Annotated[Caller, allow("admin", "producer", scope="registry:write",
                                 target="producer", write=True)]
Text = Annotated[str, Form(max_length=200)]
ContentId = Annotated[str, Path(max_length=64)]


class EntryBody(BaseModel):
    title: str = Field("", max_length=200)
    title_fa: str = Field("", max_length=200)
    category: str
    language: str = Field("fa", max_length=3)
    province: str = Field(max_length=5)
    status: str = "active"


@contextmanager
def _answers(other: int = 400) -> Iterator[None]:
    """Registry refusals as answers: not found 404 (an entry of another producer too), a
    closed month 409, any other refusal `other`."""
    try:
        yield
    except NotFoundError as exc:
        raise Problem(404, str(exc)) from exc
    except ClosedPeriodError as exc:
        raise Problem(409, str(exc)) from exc
    except PahnaError as exc:
        raise Problem(other, str(exc)) from exc


def _save(portal: Portal, caller: Caller, item: ContentItem) -> None:
    """Store the producer's entry (its producer the door's target, never a form's)."""
    with _answers():
        put_item(portal.engine, item, caller.actor, producer_id=item.producer_id)


def _own(portal: Portal, producer: Producer, content_id: str) -> ContentItem:
    found = next((i for i in list_items(portal.engine, producer.id) if i.id == content_id),
                 None)
    if found is None:
        raise Problem(404, f"no content item {content_id!r} of {producer.id}")
    return found


@pages.get("/catalogue/{producer_id}")
def catalogue_page(request: Request, caller: Viewer, portal: PortalDep) -> Response:
    """The producer's entries, its claim requests, and (to whom may edit) the forms."""
    producer = caller.producer
    assert producer is not None
    can_edit = caller.who.role == "admin" or (
        caller.who.role == "producer" and caller.who.account is not None
        and caller.who.account.producer_id == producer.id)
    return render(request, "catalogue.html", producer=producer,
                  items=list_items(portal.engine, producer.id),
                  requests=list_requests(portal.engine, {producer.id}), can_edit=can_edit,
                  categories=CONTENT_CATEGORIES,
                  pending=list_requests(portal.engine, status="pending")
                  if caller.who.role == "admin" else [])


@pages.post("/catalogue/{producer_id}/items")
def entry_form(caller: Editor, portal: PortalDep,
               content_id: Annotated[str, Form(max_length=64)], category: Text,
               language: Annotated[str, Form(max_length=3)],
               province: Annotated[str, Form(max_length=5)], title: Text = "",
               title_fa: Text = "") -> Response:
    """Create an entry, or edit one of the producer's own."""
    producer = caller.producer
    assert producer is not None
    status = next((i.status for i in list_items(portal.engine, producer.id)
                   if i.id == content_id), "active")
    _save(portal, caller, ContentItem(content_id, producer.id, title, title_fa, category,
                                      language, province, status))
    return RedirectResponse(f"/catalogue/{producer.id}#item-{content_id}", status_code=303)


@pages.post("/catalogue/{producer_id}/items/{content_id}/retire")
def retire_form(caller: Editor, portal: PortalDep, content_id: ContentId) -> Response:
    """Withdraw one of the producer's entries (entries are never deleted)."""
    producer = caller.producer
    assert producer is not None
    item = _own(portal, producer, content_id)
    _save(portal, caller, ContentItem(item.id, item.producer_id, item.title, item.title_fa,
                                      item.category, item.language, item.province,
                                      "withdrawn"))
    return RedirectResponse(f"/catalogue/{producer.id}#item-{content_id}", status_code=303)


@pages.post("/catalogue/{producer_id}/claims")
def claim_request_form(caller: Editor, portal: PortalDep,
                       content_id: Annotated[str, Form(max_length=64)],
                       host: Annotated[str, Form(max_length=300)],
                       valid_from: Annotated[str, Form(pattern=PERIOD_PATTERN)]) -> Response:
    """Ask the ministry for a host (or host/path) claim on one of the producer's entries."""
    producer = caller.producer
    assert producer is not None
    _own(portal, producer, content_id)
    spec = ClaimSpec(producer.id, "host", host.strip(),
                     JalaliMonth.parse(valid_from).start_ms, None, content_id)
    with _answers():
        request_claim(portal.engine, spec, caller.actor)
    return RedirectResponse(f"/catalogue/{producer.id}#requests", status_code=303)


@pages.post("/catalogue/requests/{request_id}/decide")
def decide_form(caller: Annotated[Caller, allow("admin", scope="registry:write", write=True)],
                portal: PortalDep, request_id: Annotated[int, Path(ge=1, le=2**31)],
                approve: Annotated[bool, Form()] = False,
                note: Annotated[str, Form(max_length=500)] = "") -> Response:
    """The ministry approves (the claim is recorded under the claim rules) or refuses a
    producer's claim request."""
    with _answers(other=409):
        decided = decide_request(portal.engine, request_id, approve, caller.actor, note)
    portal.claims.invalidate()
    return RedirectResponse(f"/catalogue/{decided.producer_id}#requests", status_code=303)


@api.get("/{producer_id}/catalogue")
def catalogue_api(producer_id: ProducerPath, caller: Viewer, portal: PortalDep
                  ) -> list[dict[str, str]]:
    """The producer's catalogue entries."""
    assert caller.producer is not None
    return [item.__dict__ for item in list_items(portal.engine, caller.producer.id)]


@api.put("/{producer_id}/catalogue/{content_id}")
def entry_api(producer_id: ProducerPath, caller: Editor, portal: PortalDep,
              content_id: ContentId, body: EntryBody) -> dict[str, str]:
    """Create or change one of the producer's entries (`status` withdrawn retires it)."""
    assert caller.producer is not None
    item = ContentItem(content_id, caller.producer.id, body.title, body.title_fa,
                       body.category, body.language, body.province, body.status)
    _save(portal, caller, item)
    return _own(portal, caller.producer, content_id).__dict__
