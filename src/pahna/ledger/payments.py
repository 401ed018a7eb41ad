"""Payment batches and the bank's confirmations, per final revision.

    PERIOD/exported-rN.json    the batch exported for payment: its lines and the sha256
                               of the file handed to the bank; created once, never again
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

STATUSES = ("paid", "rejected")
_REFERENCE = re.compile(r"^PAHNA-(\d{4}-\d{2})-R(\d+)-(.+)$")


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


def exported(ledger: Ledger, period: str, revision: int) -> dict[str, Any] | None:
    path = _path(ledger, period, "exported", revision)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def record_export(ledger: Ledger, period: str, revision: int, lines: list[PaymentLine],
                  file_sha256: str, actor: str) -> None:
    """Record that revision N was exported for payment (refused if it already was)."""
    create_record(_path(ledger, period, "exported", revision),
            {"revision": revision, "file_sha256": file_sha256, "actor": actor,
             "lines": [asdict(line) for line in lines]}, "a payment batch")
    ledger.log("payments export", period, actor, revision=revision, lines=len(lines),
               total_minor=sum(line.amount_minor for line in lines), file_sha256=file_sha256)


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
    if complete and ledger.paid(period, revision) is None:
        create_record(ledger.period_dir(period) / f"paid-r{revision}.json",
                {"revision": revision, "reference": f"bank confirmation {source}"},
                "a payment")
        ledger.log("paid", period, actor, revision=revision,
                   reference=f"bank confirmation {source}")
    return complete
