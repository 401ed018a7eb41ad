"""A period's lifecycle state as the ledger holds it, read-only (for pages and reports)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from pahna.ledger.book import Ledger
from pahna.settle.document import canonical_bytes


@dataclass(frozen=True)
class PeriodState:
    period: str
    status: str
    """none, draft, final, paid or voided (Ledger.status)."""
    revision: int | None
    """The final revision in force, if any."""
    content_hash: str | None
    """The seal's content hash of that revision."""
    payment_reference: str | None
    draft_sha256: str | None
    """sha256 of the latest draft document's canonical bytes (None: no draft)."""

    @property
    def closed(self) -> bool:
        """A final is in force: nothing may change the period."""
        return self.revision is not None


def period_state(home: Path, period: str) -> PeriodState:
    """Where `period` stands in its lifecycle; reads the ledger and writes nothing."""
    ledger = Ledger(home)
    revision = ledger.active_revision(period)
    content_hash = reference = None
    if revision is not None:
        content_hash = str(ledger.final(period, revision)["seal"]["content_hash"])
        paid = ledger.paid(period, revision)
        reference = str(paid["reference"]) if paid else None
    draft = ledger.draft(period)
    digest = hashlib.sha256(canonical_bytes(draft)).hexdigest() if draft else None
    return PeriodState(period, ledger.status(period), revision, content_hash, reference,
                       digest)
