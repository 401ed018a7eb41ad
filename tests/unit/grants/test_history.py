"""Revisions: a change is a new revision; rewriting, reordering or cutting the stored
history is detected by `verify` (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine, text

from pahna.grants.board import load_board
from pahna.grants.history import Author, append, canonical, revision_hash, revisions, verify
from pahna.grants.models import Award, Programme
from pahna.grants.process import put_award
from pahna.registry.audit import audit_log


def test_the_demo_history_verifies(fresh_demo: Engine) -> None:
    assert verify(fresh_demo) == []


def test_editing_a_published_award_is_a_new_revision(fresh_demo: Engine) -> None:
    before = load_board(fresh_demo).award("award-team-qom-univ")
    changed = Award(**{**before.model_dump(), "amount_rial": 1_100_000_000})
    put_award(fresh_demo, changed, Author("web:qom", "session"), "typo in the amount")
    history = [r for r in revisions(fresh_demo)
               if (r.kind, r.entity_id) == ("award", "award-team-qom-univ")]
    assert [r.revision for r in history] == [1, 2]
    assert history[0].body["amount_rial"] == 1_200_000_000  # the first version is kept
    assert (history[1].body["amount_rial"], history[1].reason, history[1].actor,
            history[1].credential) == (1_100_000_000, "typo in the amount", "web:qom", "session")
    assert load_board(fresh_demo).award("award-team-qom-univ").amount_rial == 1_100_000_000
    entry = audit_log(fresh_demo)[-1]
    assert (entry.action, entry.entity, entry.after["hash"]) == (
        "grant.award", "award:award-team-qom-univ", history[1].hash)
    assert verify(fresh_demo) == []


def test_rewriting_a_stored_award_is_detected(fresh_demo: Engine) -> None:
    row = next(r for r in revisions(fresh_demo) if r.kind == "award")
    body = json.dumps({**row.body, "amount_rial": 1}, sort_keys=True)
    with fresh_demo.begin() as connection:
        connection.execute(text("UPDATE grant_revisions SET body = :b WHERE seq = :s"),
                           {"b": body, "s": row.seq})
    problems = verify(fresh_demo)
    assert problems == [f"revision seq {row.seq} (award {row.entity_id} r1): its content "
                        "does not match its hash"]


def test_rehashing_a_rewritten_row_breaks_the_next_link(fresh_demo: Engine) -> None:
    rows = revisions(fresh_demo)
    row = next(r for r in rows if r.kind == "award")
    body = canonical({**row.body, "amount_rial": 1})
    forged = revision_hash(row.prev_hash, row.kind, row.entity_id, row.revision, row.at_ms,
                           row.actor, row.credential, row.reason, body)
    with fresh_demo.begin() as connection:
        connection.execute(text("UPDATE grant_revisions SET body = :b, hash = :h WHERE seq = :s"),
                           {"b": body, "h": forged, "s": row.seq})
    problems = verify(fresh_demo)
    following = rows[rows.index(row) + 1]
    assert f"revision seq {following.seq} ({following.kind} {following.entity_id} " \
           f"r{following.revision}): does not follow the revision before it" in problems
    assert any(p.startswith("audit entry") for p in problems)


def test_cutting_the_newest_revisions_is_detected(fresh_demo: Engine) -> None:
    last = revisions(fresh_demo)[-1]
    with fresh_demo.begin() as connection:
        connection.execute(text("DELETE FROM grant_revisions WHERE seq = :s"), {"s": last.seq})
    problems = verify(fresh_demo)
    assert len(problems) == 1 and last.hash in problems[0]


def test_writers_racing_for_the_chain_all_land_in_order(fresh_demo: Engine) -> None:
    """Eight threads append at once: each revision lands once, the chain stays whole."""
    board = load_board(fresh_demo)
    base = board.programme("qom-it-1404")
    before = len(revisions(fresh_demo))

    def bump(n: int) -> None:
        for k in range(4):
            item = Programme(**{**base.model_dump(), "budget_rial": 60_000_000_000 + n * 10 + k})
            append(fresh_demo, "programme", item, Author(f"writer-{n}"), "race")

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(bump, range(8)))
    history = revisions(fresh_demo)
    assert len(history) == before + 32
    assert [r.revision for r in history if r.kind == "programme"] == list(range(1, 34))
    assert verify(fresh_demo) == []
