from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from pahna.registry.audit import audit_log, record


def test_one_record_keeps_actor_credential_and_both_sides(registry: Engine) -> None:
    with Session(registry) as session:
        record(session, "web:admin", "claim.end", "producer:qom-tv",
               before={"valid_to_ms": None}, after={"valid_to_ms": 5}, credential="token:7")
        record(session, "cli", "producer.add", "producer:qom-tv", after={"id": "qom-tv"})
        session.commit()
    first, second = audit_log(registry)[-2:]
    assert (first.actor, first.credential, first.action) == ("web:admin", "token:7", "claim.end")
    assert (first.before, first.after) == ({"valid_to_ms": None}, {"valid_to_ms": 5})
    assert (second.credential, second.before, second.after) == (None, None, {"id": "qom-tv"})
    assert first.at_ms <= second.at_ms
