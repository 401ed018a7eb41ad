"""Months closed by a final: the registry refuses (and logs) every change reaching into
one, whichever function stages it, and accepts changes dated after it; changes and
closings take turns (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from pahna.calendar import JalaliMonth
from pahna.errors import ClosedPeriodError
from pahna.parties import Producer
from pahna.registry.audit import audit_log
from pahna.registry.bulk import import_files
from pahna.registry.claimbook import ClaimSpec
from pahna.registry.claims import add_claims, end_claim, list_claims
from pahna.registry.closures import close_period, closed_periods, guard_change, reopen_period
from pahna.registry.domestic import domestic_lists, import_domestic
from pahna.registry.metering import MeteringPoint, add_point, list_points
from pahna.registry.models import ClaimRow
from pahna.registry.producers import add_producer, list_producers
from pahna.registry.rules import rules_snapshot

AUGUST = JalaliMonth(1404, 8)  # Aban 1404
WINDOW = (AUGUST.start_ms - 2**32, AUGUST.end_ms)
DAY = 86_400_000


@pytest.fixture
def closed(registry: Engine, tmp_path: Path) -> Engine:
    add_producer(registry, Producer("qom-tv", "Qom TV", "", "IR-25", "public_centre"))
    add_claims(registry, [ClaimSpec("qom-tv", "prefix", "185.10.0.0/16",
                                    JalaliMonth(1404, 1).start_ms)])
    cidr = tmp_path / "ir.cidr"
    cidr.write_text("5.0.0.0/8\n", encoding="utf-8")
    import_domestic(registry, [cidr], JalaliMonth(1404, 1).start_ms)
    close_period(registry, "1404-08", WINDOW, 1, "test")
    return registry


def _attempts(engine: Engine) -> list[str]:
    return [str((e.after or {})["attempt"]) for e in audit_log(engine)  # type: ignore[index]
            if e.action == "registry.refused"]


def test_every_change_reaching_into_a_final_month_is_refused_and_logged(
        closed: Engine, tmp_path: Path) -> None:
    """Regression: ending a claim on 1404-08-02 and adding one from 1404-08-01 were
    accepted after 1404-08 was final (so were metering points and domestic lists)."""
    before = rules_snapshot(closed)
    claim_id = list_claims(closed)[0].id
    attempts = [
        lambda: end_claim(closed, claim_id, AUGUST.start_ms + DAY),
        lambda: add_claims(closed, [ClaimSpec("qom-tv", "prefix", "185.11.0.0/16",
                                              AUGUST.start_ms)]),
        lambda: add_claims(closed, [ClaimSpec("qom-tv", "asn", "64512",
                                              JalaliMonth(1403, 1).start_ms)]),
        lambda: add_point(closed, MeteringPoint("qom-tv", "10.0.0.1", 7, "egress",
                                                AUGUST.start_ms)),
        lambda: import_domestic(closed, [tmp_path / "ir.cidr"], AUGUST.start_ms + 9 * DAY),
    ]
    for attempt in attempts:
        with pytest.raises(ClosedPeriodError, match="reaches into 1404-08, which is final"):
            attempt()
    claims = tmp_path / "claims.csv"
    claims.write_text("producer_id,kind,value,valid_from,valid_to\n"
                      "qom-tv,prefix,185.12.0.0/16,1404-09-01,\n"
                      "qom-tv,prefix,185.10.0.0/16,1404-01-01,1404-08-02\n", encoding="utf-8")
    with pytest.raises(ClosedPeriodError, match=r"claims.csv:3: ending claim"):
        import_files(closed, [claims])
    assert rules_snapshot(closed) == before  # nothing moved, the import's first row neither
    logged = _attempts(closed)
    assert len(logged) == 6 and logged[-1].startswith(f"{claims}:3: ending claim")
    assert logged[0].startswith(f"ending claim {claim_id}")


def test_changes_dated_after_the_final_months_are_accepted(closed: Engine,
                                                           tmp_path: Path) -> None:
    september = JalaliMonth(1404, 9).start_ms
    claim_id = list_claims(closed)[0].id
    end_claim(closed, claim_id, september + 4 * DAY)
    add_claims(closed, [ClaimSpec("qom-tv", "prefix", "185.11.0.0/16", september)])
    add_point(closed, MeteringPoint("qom-tv", "10.0.0.1", 7, "egress", september))
    import_domestic(closed, [tmp_path / "ir.cidr"], september)
    add_producer(closed, Producer("teh-new", "New", "", "IR-23", "student_startup"))
    assert len(list_claims(closed)) == 2 and len(list_points(closed)) == 1
    assert len(domestic_lists(closed)) == 2 and len(list_producers(closed)) == 2
    assert _attempts(closed) == []


def test_a_reopened_month_accepts_corrections(closed: Engine) -> None:
    assert reopen_period(closed, "1404-08", "test", "void r1")
    assert closed_periods(closed) == []
    add_claims(closed, [ClaimSpec("qom-tv", "prefix", "185.11.0.0/16", AUGUST.start_ms)])
    assert not reopen_period(closed, "1404-08", "test", "again")
    actions = [e.action for e in audit_log(closed)]
    assert actions.count("period.close") == 1 and actions.count("period.reopen") == 1


def test_a_change_and_a_closing_take_turns(registry: Engine) -> None:
    """A change holding the guard makes a closing wait; once the month is closed, the
    same change is refused: no change slips in between a closing and the final."""
    add_producer(registry, Producer("qom-tv", "Qom TV", "", "IR-25", "public_centre"))
    done: list[float] = []
    with Session(registry) as session:
        guard_change(session, AUGUST.start_ms, None, "a slow change")
        session.add(ClaimRow(producer_id="qom-tv", kind="prefix", value="185.10.0.0/16",
                             valid_from_ms=AUGUST.start_ms, valid_to_ms=None,
                             nested_approved=False, approved_by=None))
        closer = threading.Thread(target=lambda: (close_period(registry, "1404-08", WINDOW,
                                                               1, "test"),
                                                  done.append(time.monotonic())))
        closer.start()
        time.sleep(1.0)
        assert not done  # the closing waits for the change
        committed = time.monotonic()
        session.commit()
    closer.join(timeout=20)
    assert done and done[0] >= committed
    with Session(registry) as session:
        assert session.scalar(select(func.count()).select_from(ClaimRow)) == 1
    with pytest.raises(ClosedPeriodError):
        add_claims(registry, [ClaimSpec("qom-tv", "prefix", "185.11.0.0/16",
                                        AUGUST.start_ms)])
