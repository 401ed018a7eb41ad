"""Holds: a producer-month that is computed and shown but not paid, with its reasons.

This is the one small interface the integrity stage's holds (issue 13) will take over:
today only the reconciliation of CDN and hosting operators' logs with their flows
(`settle.tenants`) puts a hold. A held line keeps its usage, claim and pool share; it is
left out of payment batches (its payable amount is 0) and its whole balance is carried
forward to the producer's next statement, like a suspended producer's, where it is paid
once nothing holds it any more. Each reason says why, with the figures that decided.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Hold:
    producer_id: str
    reason: str


def reasons_by_producer(holds: Iterable[Hold]) -> Mapping[str, tuple[str, ...]]:
    """Each held producer's reasons, in a stable order without repeats."""
    out: dict[str, list[str]] = {}
    for hold in holds:
        reasons = out.setdefault(hold.producer_id, [])
        if hold.reason not in reasons:
            reasons.append(hold.reason)
    return {pid: tuple(sorted(reasons)) for pid, reasons in sorted(out.items())}
