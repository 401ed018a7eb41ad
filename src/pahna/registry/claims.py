"""Claims: record them under the rules of `claimbook`, end them, list them.

Nothing is deleted: ending a claim sets its `valid_to_ms`. A claim nested in another
producer's is stored only with an approval, recorded on the claim (`approved_by`) and
in the audit log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from pahna.errors import ApprovalError, ClaimConflictError, NotFoundError, RegistryError
from pahna.ids import check_id
from pahna.registry.audit import record
from pahna.registry.claimbook import ClaimBook, ClaimSpec
from pahna.registry.closures import guard_change, registry_change
from pahna.registry.instants import format_instant
from pahna.registry.models import ClaimRow, ContentItemRow, ProducerRow


@dataclass(frozen=True)
class ClaimRecord:
    id: int
    spec: ClaimSpec
    nested_approved: bool
    approved_by: str | None


def spec_of(row: ClaimRow) -> ClaimSpec:
    return ClaimSpec(row.producer_id, row.kind, row.value, row.valid_from_ms, row.valid_to_ms,
                     row.content_id)


def load_book(session: Session) -> ClaimBook:
    book = ClaimBook()
    for row in session.scalars(select(ClaimRow)):
        book.add(spec_of(row))
    return book


def put_claim(session: Session, book: ClaimBook, claim: ClaimSpec, approve_nested: bool,
              actor: str, approver: str | None = None, credential: str | None = None) -> None:
    """Check `claim` against `book` and stage it in `session` (the caller commits).

    `approver` is whose approval `approve_nested` carries: None for the ministry, else a
    province code (an officer's), whose approval covers nestings inside that province only:
    nesting with another province's producer needs the ministry."""
    check_id("producer", claim.producer_id)
    if session.get(ProducerRow, claim.producer_id) is None:
        raise NotFoundError(f"claim {claim.kind} {claim.value}: no producer "
                            f"{claim.producer_id!r}")
    if claim.valid_to_ms is not None and claim.valid_to_ms <= claim.valid_from_ms:
        raise RegistryError(f"claim {claim.describe()}: valid_to must be after valid_from")
    if claim.content_id is not None:
        _check_content(session, claim)
    guard_change(session, claim.valid_from_ms, claim.valid_to_ms,
                 f"adding {claim.describe()} from {format_instant(claim.valid_from_ms)}")
    nested = book.check(claim)
    if nested and not approve_nested:
        others = "; ".join(other.describe() for other in nested)
        raise ClaimConflictError(f"{claim.describe()} nests with {others}: a nested claim "
                                 "needs approval (--approve-nested)")
    if nested and approver is not None:
        _check_approver(session, claim, nested, approver)
    row = ClaimRow(**asdict(claim), nested_approved=bool(nested),
                   approved_by=actor if nested else None)
    session.add(row)
    book.add(claim)
    entity = f"producer:{claim.producer_id}"
    if nested:
        record(session, actor, "claim.approve_nested", entity,
               after={**asdict(claim), "nested_with": [asdict(o) for o in nested]},
               credential=credential)
    record(session, actor, "claim.add", entity,
           after={**asdict(claim), "nested_approved": bool(nested)}, credential=credential)


def _check_approver(session: Session, claim: ClaimSpec, nested: list[ClaimSpec],
                    province: str) -> None:
    outside = sorted({other.producer_id for other in nested
                      if (row := session.get(ProducerRow, other.producer_id)) is None
                      or row.province != province})
    if outside:
        raise ApprovalError(f"{claim.describe()} nests with the claims of {', '.join(outside)} "
                            f"outside province {province or '(none)'}: only the ministry "
                            "approves a nesting across provinces")


def _check_content(session: Session, claim: ClaimSpec) -> None:
    if claim.kind != "host":
        raise RegistryError(f"claim {claim.describe()}: only host claims name a content item")
    item = session.get(ContentItemRow, claim.content_id)
    if item is None:
        raise NotFoundError(f"claim {claim.describe()}: no content item {claim.content_id!r}")
    if item.producer_id != claim.producer_id:
        raise RegistryError(f"claim {claim.describe()}: content item {item.id} is "
                            f"{item.producer_id}'s")


def add_claims(engine: Engine, claims: Sequence[ClaimSpec], approve_nested: bool = False,
               actor: str = "cli", approver: str | None = None,
               credential: str | None = None) -> None:
    """Record claims, all or none (see `put_claim` for `approver`)."""
    with registry_change(engine, actor) as session:
        book = load_book(session)
        for claim in claims:
            put_claim(session, book, claim, approve_nested, actor, approver, credential)
        session.commit()


def close_claim(session: Session, row: ClaimRow, at_ms: int, actor: str) -> None:
    """End an open claim at `at_ms` (stage only)."""
    if row.valid_to_ms is not None and row.valid_to_ms <= at_ms:
        raise RegistryError(f"claim {row.id} already ended")
    if at_ms <= row.valid_from_ms:
        raise RegistryError(f"claim {row.id}: cannot end before it starts")
    guard_change(session, at_ms, row.valid_to_ms,
                 f"ending claim {row.id} ({spec_of(row).describe()}) at {format_instant(at_ms)}")
    before = asdict(spec_of(row))
    row.valid_to_ms = at_ms
    record(session, actor, "claim.end", f"producer:{row.producer_id}", before=before,
           after=asdict(spec_of(row)))


def end_claim(engine: Engine, claim_id: int, at_ms: int, actor: str = "cli") -> None:
    with registry_change(engine, actor) as session:
        row = session.get(ClaimRow, claim_id)
        if row is None:
            raise NotFoundError(f"no claim {claim_id}")
        close_claim(session, row, at_ms, actor)
        session.commit()


def list_claims(engine: Engine, kind: str | None = None) -> list[ClaimRecord]:
    with Session(engine) as session:
        query = select(ClaimRow).order_by(ClaimRow.id)
        if kind is not None:
            query = query.where(ClaimRow.kind == kind)
        return [ClaimRecord(r.id, spec_of(r), r.nested_approved, r.approved_by)
                for r in session.scalars(query)]
