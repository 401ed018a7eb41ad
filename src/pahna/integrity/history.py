"""What integrity reads from earlier finals: the bytes each producer sent the month
before (the growth signal), kept in the basis of the month under review."""

from __future__ import annotations

from pahna.calendar import JalaliMonth
from pahna.ledger.book import Ledger
from pahna.schema import TRAFFIC_CLASSES


def previous_sent(ledger: Ledger, month: JalaliMonth) -> dict[str, int]:
    """Bytes each producer sent in the month before `month`, from its final in force
    (nothing when it has none)."""
    before = JalaliMonth.containing(month.start_ms - 1)
    if ledger.active_revision(str(before)) is None:
        return {}
    lines = ledger.final(str(before))["settlement"]["lines"]
    return {ln["producer_id"]: sum(int(ln[f"{c}_bytes"]) for c in TRAFFIC_CLASSES)
            for ln in lines}
