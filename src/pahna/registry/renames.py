"""Producer ids from before ids were slugs, and the way to rename them.

Ids have been checked at every entry point since ids became slugs (`pahna.ids`); a
registry made earlier may still hold a producer id that is not one (`Qom_Univ`,
`../escape`). Statements are files named by producer id, so settling and finalizing
refuse such a registry with an error naming every such id (`refuse_invalid_ids`), and
`rename_producer` (`pahna registry rename-producer OLD NEW`) moves a producer, with its
claims, metering points, portal account links and disputes, to a valid id in one
audited transaction.
"""

from __future__ import annotations

from dataclasses import asdict, replace

from sqlalchemy import Engine, column, select, table, update
from sqlalchemy.orm import Session

from pahna.errors import InvalidValueError, NotFoundError, RegistryError
from pahna.ids import check_id, id_problem
from pahna.registry.audit import record
from pahna.registry.models import ClaimRow, MeteringPointRow, ProducerRow
from pahna.registry.producers import record_of

# The portal's tables that name a producer (their schema is the migrations').
_PORTAL_LINKS = (table("web_accounts", column("producer_id")),
                 table("web_disputes", column("producer_id")))


def invalid_producer_ids(engine: Engine) -> list[tuple[str, str]]:
    """(id, what is wrong with it) for every producer id in the registry that is not a
    valid id."""
    with Session(engine) as session:
        ids = session.scalars(select(ProducerRow.id).order_by(ProducerRow.id))
        return [(pid, problem) for pid in ids if (problem := id_problem(pid)) is not None]


def refuse_invalid_ids(engine: Engine) -> None:
    """Raise InvalidValueError naming every invalid producer id and how to rename it."""
    invalid = invalid_producer_ids(engine)
    if invalid:
        named = "; ".join(f"{pid!r} {problem}" for pid, problem in invalid)
        raise InvalidValueError(
            f"the registry holds producer ids that are not valid ids: {named}. Statements "
            "are files named by producer id: rename each with `pahna registry "
            "rename-producer OLD NEW` first (see docs/registry.md)")


def rename_producer(engine: Engine, old: str, new: str, actor: str = "cli") -> None:
    """Move producer `old` to the id `new` (a valid, unused id), with everything in the
    registry that names it."""
    check_id("producer", new)
    with Session(engine) as session:
        row = session.get(ProducerRow, old)
        if row is None:
            raise NotFoundError(f"no producer {old!r}")
        if session.get(ProducerRow, new) is not None:
            raise RegistryError(f"producer {new} already exists")
        session.add(ProducerRow(**asdict(replace(record_of(row), id=new))))
        session.flush()
        for kind in (ClaimRow, MeteringPointRow):
            session.execute(update(kind).where(kind.producer_id == old).values(producer_id=new))
        for link in _PORTAL_LINKS:
            session.execute(update(link).where(link.c.producer_id == old)
                            .values(producer_id=new))
        session.delete(row)
        record(session, actor, "producer.rename", f"producer:{new}", before={"id": old},
               after={"id": new})
        session.commit()
