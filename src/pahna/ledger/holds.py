"""Holds on a final's lines, and the reviewer's decision on each.

A hold is a state of a producer's line in a final month: the sealed line carries its
holds (integrity), and nothing in the final is ever edited. A reviewer decides once:

    PERIOD/hold-rN-PRODUCER.json   {"decision": "release" | "confirm", "reason", "actor"}

A producer answers a hold through the dispute path: a dispute filed for a month whose
final in force holds its line is also an event `hold answer` in the ledger's log
(revision, producer, dispute id, message), and the reviewer reads it beside the hold.

`release`: the line is paid in the next payment batch of that revision; `confirm`: the
amount is withheld for good (a claw-back of money already paid is an adjustment in a
later month instead). Every decision is an event in the ledger's log; a second decision
on the same line is refused. The caller holds the period's lock (Ledger.lock).
"""

from __future__ import annotations

import json
import time
from typing import Any

from pahna.errors import LedgerError
from pahna.ledger.book import Ledger, create_record

DECISIONS = ("release", "confirm")
PENDING = "held"
STATES = {"release": "released", "confirm": "confirmed"}


def held_lines(record: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Producer id -> the holds of its line, for every held line of a final record."""
    return {line["producer_id"]: line["holds"] for line in record["settlement"]["lines"]
            if line.get("holds")}


def decision(ledger: Ledger, period: str, revision: int, producer_id: str
             ) -> dict[str, Any] | None:
    path = ledger.period_dir(period) / f"hold-r{revision}-{producer_id}.json"
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def hold_states(ledger: Ledger, period: str, revision: int, record: dict[str, Any]
                ) -> dict[str, str]:
    """Producer id -> held, released or confirmed, for every held line of the final."""
    out = {}
    for pid in sorted(held_lines(record)):
        made = decision(ledger, period, revision, pid)
        out[pid] = PENDING if made is None else STATES[made["decision"]]
    return out


def decide(ledger: Ledger, period: str, producer_id: str, choice: str, reason: str,
           actor: str) -> dict[str, Any]:
    """Record a reviewer's decision on the held line of the final in force."""
    if choice not in DECISIONS:
        raise LedgerError(f"a hold is released or confirmed, not {choice!r}")
    if not reason.strip():
        raise LedgerError("a decision on a hold needs a written reason")
    record = ledger.final(period)
    revision = int(record["revision"])
    holds = held_lines(record).get(producer_id)
    if holds is None:
        raise LedgerError(f"{period} r{revision}: the line of {producer_id!r} is not held")
    made = decision(ledger, period, revision, producer_id)
    if made is not None:
        ledger.log("refused", period, actor, attempt=f"{choice} the hold of {producer_id}",
                   revision=revision)
        raise LedgerError(f"{period} r{revision}: the hold of {producer_id} was already "
                          f"{STATES[made['decision']]} by {made['actor']}; a decision is final")
    entry = {"revision": revision, "producer_id": producer_id, "decision": choice,
             "reason": reason.strip(), "actor": actor, "at_ms": time.time_ns() // 1_000_000,
             "holds": [h["reason"] for h in holds]}
    create_record(ledger.period_dir(period) / f"hold-r{revision}-{producer_id}.json", entry,
                  "a decision on a hold")
    ledger.log(f"hold {choice}", period, actor, revision=revision, producer_id=producer_id,
               reason=reason.strip(), holds=entry["holds"])
    return entry


def answer(ledger: Ledger, period: str, producer_id: str, dispute_id: int, message: str,
           actor: str) -> bool:
    """Log a producer's dispute as its answer to the hold on its line of the final in
    force, if that line is held and not yet decided; True if it was."""
    revision = ledger.active_revision(period)
    if revision is None:
        return False
    record = ledger.final(period)
    if producer_id not in held_lines(record) or decision(ledger, period, revision,
                                                         producer_id) is not None:
        return False
    ledger.log("hold answer", period, actor, revision=revision, producer_id=producer_id,
               dispute_id=dispute_id, message=message)
    return True


def answers(ledger: Ledger) -> dict[tuple[str, int, str], list[dict[str, Any]]]:
    """(period, revision, producer) -> the producer's answers to its hold, oldest first."""
    out: dict[tuple[str, int, str], list[dict[str, Any]]] = {}
    for event in ledger.events():
        if event["action"] == "hold answer":
            key = (event["period"], int(event["revision"]), event["producer_id"])
            out.setdefault(key, []).append(event)
    return out
