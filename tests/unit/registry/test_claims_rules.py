import ipaddress
import json
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from pahna.errors import ClaimConflictError, NotFoundError
from pahna.parties import Producer
from pahna.registry.database import open_registry
from pahna.registry.models import AuditRow
from pahna.registry.producers import PrefixClaim, add_prefix_claim, add_producer, prefix_claims


@pytest.fixture
def engine(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = open_registry(f"sqlite:///{tmp_path / 'r.sqlite'}")
    for pid in ("a", "b"):
        add_producer(engine, Producer(pid, pid.upper(), "", "IR-25", "public_centre"))
    return engine


def claim(pid: str, net: str, start: int = 0, end: int | None = None) -> PrefixClaim:
    return PrefixClaim(pid, ipaddress.ip_network(net), start, end)


def test_same_prefix_for_two_producers_is_refused_naming_both(engine) -> None:  # type: ignore[no-untyped-def]
    add_prefix_claim(engine, claim("a", "10.0.0.0/16"))
    with pytest.raises(ClaimConflictError, match=r"10\.0\.0\.0/16 for b .* of a"):
        add_prefix_claim(engine, claim("b", "10.0.0.0/16"))
    # the same prefix after a's claim has ended is fine
    add_prefix_claim(engine, claim("b", "10.1.0.0/16", 0, 100))
    add_prefix_claim(engine, claim("a", "10.1.0.0/16", 100, None))
    assert len(prefix_claims(engine)) == 3


def test_nested_claim_needs_approval_and_is_audited(engine) -> None:  # type: ignore[no-untyped-def]
    add_prefix_claim(engine, claim("a", "2a0e::/16"))
    with pytest.raises(ClaimConflictError, match="needs approval"):
        add_prefix_claim(engine, claim("b", "2a0e:1::/32"))
    add_prefix_claim(engine, claim("b", "2a0e:1::/32"), approve_nested=True, actor="officer")
    with Session(engine) as session:
        rows = session.scalars(select(AuditRow).order_by(AuditRow.id)).all()
    last = rows[-1]
    assert last.actor == "officer" and last.action == "claim.add"
    assert json.loads(last.after or "{}")["nested_approved"] is True
    assert [r.action for r in rows].count("producer.add") == 2


def test_unknown_producer_or_province(engine) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotFoundError):
        add_prefix_claim(engine, claim("zzz", "10.0.0.0/8"))
    with pytest.raises(NotFoundError):
        add_producer(engine, Producer("c", "C", "", "IR-99", "public_centre"))
