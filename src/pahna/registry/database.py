"""Open the registry database and make sure its tables and reference rows exist."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, select
from sqlalchemy.orm import Session

from pahna.registry.models import Base, ProvinceRow
from pahna.registry.provinces import PROVINCES


def open_registry(url: str) -> Engine:
    """An engine on the registry at `url`, with tables and the provinces in place."""
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        have = set(session.scalars(select(ProvinceRow.code)))
        session.add_all(
            ProvinceRow(code=p.code, name_en=p.name_en, name_fa=p.name_fa)
            for p in PROVINCES
            if p.code not in have
        )
        session.commit()
    return engine
