"""Payment batches and the bank's confirmations, per final revision.

    PERIOD/exported-rN.json    the batch exported for payment: its lines and the sha256
                               of the file handed to the bank; created once, never again
    PERIOD/exported-rN-bK.json a later batch K of the same revision: the held lines a
                               reviewer released since (ledger.holds), each paid once
    PERIOD/confirmed-rN.json   the bank's word on each line: paid or rejected
    PERIOD/paid-rN.json        the revision is paid (every line confirmed paid, or
                               `pahna settle pay`)

A revision that was exported or paid is never exported again. A confirmed line never
changes its status: a rejected line is paid later through an adjustment in a later
month. The caller holds the period's lock (Ledger.lock).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pahna.errors import PaymentError
from pahna.ledger.book import Ledger, create_record
from pahna.ledger.durable import write_atomic
from pahna.ledger.holds import PENDING, hold_states

STATUSES = ("paid", "rejected")


def unpaid_holds(ledger: Ledger, period: str, revision: int, batch: dict[str, Any]
                 ) -> list[str]:
    """Held lines still to be decided, or released and not yet in a batch: while there
    are any, the revision is not paid in full."""
    states = hold_states(ledger, period, revision, ledger.final(period, revision))
    paid_out = {line["producer_id"] for line in batch["lines"]}
    return [pid for pid, state in states.items()
            if state == PENDING or (state == "released" and pid not in paid_out)]
_REFERENCE = re.compile(r"^PAHNA-(\d{4}-\d{2})-R(\d+)-(.+)\Z")


@dataclass(frozen=True)
class PaymentLine:
    """One line of a batch: a producer's payable balance, or (payee "grant") a grant
    tranche, whose `producer_id` is then the grantee's applicant id."""

    producer_id: str
    iban: str
    amount_minor: int
    reference: str
    payee: str = "producer"


def payment_reference(period: str, revision: int, producer_id: str) -> str:
    return f"PAHNA-{period}-R{revision}-{producer_id}"


def parse_reference(text: str) -> tuple[str, int, str]:
    """(period, revision, producer id) of a payment reference; PaymentError if it is not
    one of pahna's."""
    match = _REFERENCE.match(text.strip())
    if match is None:
        raise PaymentError(f"{text!r} is not a pahna payment reference "
                           "(PAHNA-PERIOD-RN-PRODUCER)")
    return match.group(1), int(match.group(2)), match.group(3)


def _path(ledger: Ledger, period: str, kind: str, revision: int) -> Path:
    return ledger.period_dir(period) / f"{kind}-r{revision}.json"


def _batch_path(ledger: Ledger, period: str, revision: int, number: int) -> Path:
    suffix = "" if number == 1 else f"-b{number}"
    return ledger.period_dir(period) / f"exported-r{revision}{suffix}.json"


def batches(ledger: Ledger, period: str, revision: int) -> list[dict[str, Any]]:
    """Every batch exported for revision N, in order (the first, then released holds)."""
    out = []
    number = 1
    while (path := _batch_path(ledger, period, revision, number)).exists():
        out.append(json.loads(path.read_text(encoding="utf-8")))
        number += 1
    return out


def exported(ledger: Ledger, period: str, revision: int) -> dict[str, Any] | None:
    """Revision N's export: its first batch, with the lines of every batch; None if it
    was never exported."""
    found = batches(ledger, period, revision)
    if not found:
        return None
    return {**found[0], "batches": len(found),
            "lines": [line for batch in found for line in batch["lines"]]}


def record_export(ledger: Ledger, period: str, revision: int, lines: list[PaymentLine],
                  file_sha256: str, actor: str, number: int = 1) -> None:
    """Record batch `number` of revision N (refused if it already exists)."""
    create_record(_batch_path(ledger, period, revision, number),
            {"revision": revision, "batch": number, "file_sha256": file_sha256,
             "actor": actor, "lines": [asdict(line) for line in lines]}, "a payment batch")
    ledger.log("payments export", period, actor, revision=revision, batch=number,
               lines=len(lines), total_minor=sum(line.amount_minor for line in lines),
               file_sha256=file_sha256)


def confirmations(ledger: Ledger, period: str, revision: int) -> dict[str, dict[str, Any]]:
    """The bank's confirmations of revision N's lines, by reference."""
    path = _path(ledger, period, "confirmed", revision)
    if not path.exists():
        return {}
    data: dict[str, dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return data


def record_confirmations(ledger: Ledger, period: str, revision: int,
                         confirmed: dict[str, dict[str, Any]], source: str, actor: str
                         ) -> bool:
    """Add the bank's confirmations of lines of revision N; True once every exported line
    is confirmed paid (the revision is then recorded paid)."""
    batch = exported(ledger, period, revision)
    if batch is None:
        raise PaymentError(f"{period} r{revision} was never exported for payment")
    held = confirmations(ledger, period, revision)
    changed = {ref: c for ref, c in confirmed.items() if held.get(ref) != c}
    for ref in changed:
        if ref in held:
            raise PaymentError(f"{ref} was already confirmed {held[ref]['status']}; a "
                               "confirmed line never changes")
    held.update(changed)
    write_atomic(_path(ledger, period, "confirmed", revision),
                 json.dumps(held, ensure_ascii=False, sort_keys=True, indent=1))
    ledger.log("payments confirm", period, actor, revision=revision, source=source,
               lines={ref: c["status"] for ref, c in sorted(changed.items())})
    references = {line["reference"] for line in batch["lines"]}
    complete = all(held.get(ref, {}).get("status") == "paid" for ref in references)
    complete &= not unpaid_holds(ledger, period, revision, batch)
    if complete and ledger.paid(period, revision) is None:
        create_record(ledger.period_dir(period) / f"paid-r{revision}.json",
                {"revision": revision, "reference": f"bank confirmation {source}"},
                "a payment")
        ledger.log("paid", period, actor, revision=revision,
                   reference=f"bank confirmation {source}")
    return complete
