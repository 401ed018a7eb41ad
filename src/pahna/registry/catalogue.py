"""The content catalogue, and the claims producers ask for.

A producer keeps its own entries (title in English and Persian, category, language,
province); an entry is never deleted, it is withdrawn. A claim on a host or a host and
path prefix for an entry is asked for by the producer (`request_claim`) and becomes a
claim only when the ministry approves it (`decide_request`), through the same rules as
every claim (`claims.put_claim`: conflicts refused, nesting only with an approval).
Every change is in the audit log.
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from pahna.errors import InvalidValueError, NotFoundError, RegistryError
from pahna.ids import check_id
from pahna.parties import CONTENT_CATEGORIES, ContentItem
from pahna.registry.audit import record
from pahna.registry.claimbook import ClaimSpec, normalize_value
from pahna.registry.claims import load_book, put_claim
from pahna.registry.closures import guard_change, registry_change
from pahna.registry.models import (
    ClaimRequestRow,
    ClaimRow,
    ContentItemRow,
    ProducerRow,
    ProvinceRow,
)

_LANGUAGE = re.compile(r"^[a-z]{2,3}\Z")
ITEM_STATUSES = ("active", "withdrawn")


@dataclass(frozen=True)
class ClaimRequest:
    id: int
    producer_id: str
    kind: str
    value: str
    content_id: str | None
    valid_from_ms: int
    valid_to_ms: int | None
    requested_by: str
    requested_ms: int
    status: str
    decided_by: str | None
    note: str | None
    claim_id: int | None


def _item(row: ContentItemRow) -> ContentItem:
    return ContentItem(row.id, row.producer_id, row.title, row.title_fa, row.category,
                       row.language, row.province, row.status)


def checked_item(session: Session, item: ContentItem) -> ContentItem:
    check_id("content item", item.id)
    if not item.title.strip() and not item.title_fa.strip():
        raise RegistryError(f"content item {item.id}: a title is required")
    if item.category not in CONTENT_CATEGORIES:
        raise RegistryError(f"content item {item.id}: category {item.category!r} is not one "
                            f"of {', '.join(CONTENT_CATEGORIES)}")
    if not _LANGUAGE.match(item.language):
        raise RegistryError(f"content item {item.id}: language {item.language!r}: expected an "
                            "ISO 639 code such as fa or en")
    if item.status not in ITEM_STATUSES:
        raise RegistryError(f"content item {item.id}: status {item.status!r} is not one of "
                            f"{', '.join(ITEM_STATUSES)}")
    if session.get(ProvinceRow, item.province) is None:
        raise NotFoundError(f"content item {item.id}: no province {item.province!r}")
    if session.get(ProducerRow, item.producer_id) is None:
        raise NotFoundError(f"content item {item.id}: no producer {item.producer_id!r}")
    return ContentItem(item.id, item.producer_id, item.title.strip(), item.title_fa.strip(),
                       item.category, item.language, item.province, item.status)


def put_item(engine: Engine, item: ContentItem, actor: str = "cli",
             producer_id: str | None = None) -> bool:
    """Add or change a catalogue entry; False when nothing changed. With `producer_id`
    (a producer editing its own), an entry of another producer is refused as not found."""
    with registry_change(engine, actor) as session:
        guard_change(session, what=f"content item {item.id}")
        item = checked_item(session, item)
        row = session.get(ContentItemRow, item.id)
        owner = row.producer_id if row is not None else item.producer_id
        if producer_id is not None and (owner != producer_id or item.producer_id != producer_id):
            raise NotFoundError(f"no content item {item.id!r} of {producer_id}")
        if row is not None and row.producer_id != item.producer_id:
            raise RegistryError(f"content item {item.id} is {row.producer_id}'s: an entry "
                                "does not change hands")
        if row is None:
            session.add(ContentItemRow(**asdict(item)))
            record(session, actor, "content.add", f"content:{item.id}", after=asdict(item))
        elif asdict(_item(row)) != asdict(item):
            before = asdict(_item(row))
            for key, value in asdict(item).items():
                setattr(row, key, value)
            record(session, actor, "content.update", f"content:{item.id}", before=before,
                   after=asdict(item))
        else:
            return False
        session.commit()
        return True


def list_items(engine: Engine, producer_id: str | None = None) -> list[ContentItem]:
    with Session(engine) as session:
        query = select(ContentItemRow).order_by(ContentItemRow.id)
        if producer_id is not None:
            query = query.where(ContentItemRow.producer_id == producer_id)
        return [_item(r) for r in session.scalars(query)]


def item_claims(engine: Engine) -> dict[str, list[str]]:
    """Each content item's claim values (host or host/path), for pages and exports."""
    with Session(engine) as session:
        out: dict[str, list[str]] = {}
        for row in session.scalars(select(ClaimRow).where(ClaimRow.content_id.is_not(None))):
            assert row.content_id is not None
            out.setdefault(row.content_id, []).append(row.value)
        return out


def _request(row: ClaimRequestRow) -> ClaimRequest:
    return ClaimRequest(row.id, row.producer_id, row.kind, row.value, row.content_id,
                        row.valid_from_ms, row.valid_to_ms, row.requested_by,
                        row.requested_ms, row.status, row.decided_by, row.note, row.claim_id)


def request_claim(engine: Engine, spec: ClaimSpec, actor: str) -> int:
    """A producer asks for a host claim (for one of its entries); returns the request id.
    The value is checked now; the rules against other claims when it is decided."""
    try:
        value = normalize_value("host", spec.value)
    except ValueError as error:
        raise InvalidValueError(f"claim request: {error}") from None
    with registry_change(engine, actor) as session:
        if spec.content_id is not None:
            item = session.get(ContentItemRow, spec.content_id)
            if item is None or item.producer_id != spec.producer_id:
                raise NotFoundError(f"no content item {spec.content_id!r} of "
                                    f"{spec.producer_id}")
        row = ClaimRequestRow(producer_id=spec.producer_id, kind="host", value=value,
                              content_id=spec.content_id, valid_from_ms=spec.valid_from_ms,
                              valid_to_ms=spec.valid_to_ms, requested_by=actor,
                              requested_ms=int(time.time() * 1000), status="pending")
        session.add(row)
        session.flush()
        record(session, actor, "claim.request", f"producer:{spec.producer_id}",
               after={"request": row.id, "value": value, "content_id": spec.content_id})
        session.commit()
        return row.id


def list_requests(engine: Engine, producer_ids: set[str] | None = None,
                  status: str | None = None) -> list[ClaimRequest]:
    with Session(engine) as session:
        query = select(ClaimRequestRow).order_by(ClaimRequestRow.id)
        rows = [_request(r) for r in session.scalars(query)]
    return [r for r in rows if (producer_ids is None or r.producer_id in producer_ids)
            and (status is None or r.status == status)]


def decide_request(engine: Engine, request_id: int, approve: bool, actor: str,
                   note: str = "", approve_nested: bool = False) -> ClaimRequest:
    """Approve (the claim is recorded under the claim rules, all or nothing, and refused
    if it reaches into a closed month) or refuse a pending request."""
    with registry_change(engine, actor) as session:
        row = session.get(ClaimRequestRow, request_id)
        if row is None:
            raise NotFoundError(f"no claim request {request_id}")
        if row.status != "pending":
            raise RegistryError(f"claim request {request_id} was already {row.status}")
        if approve:
            spec = ClaimSpec(row.producer_id, row.kind, row.value, row.valid_from_ms,
                             row.valid_to_ms, row.content_id)
            put_claim(session, load_book(session), spec, approve_nested, actor)
            session.flush()
            row.claim_id = session.scalars(select(ClaimRow.id).order_by(
                ClaimRow.id.desc()).limit(1)).first()
        row.status = "approved" if approve else "refused"
        row.decided_by, row.decided_ms, row.note = actor, int(time.time() * 1000), note or None
        record(session, actor, f"claim.request.{row.status}", f"producer:{row.producer_id}",
               after={"request": request_id, "value": row.value, "note": note})
        session.commit()
        return _request(row)
