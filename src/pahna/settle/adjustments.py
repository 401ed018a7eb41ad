"""Corrections after a statement is final: adjustment lines in a later period.

A final statement never changes. When it was wrong, the difference between what was
paid and what should have been is carried as an adjustment on the producer's statement
of a later period, naming the original period and revision. Over the periods, the
amounts plus their adjustments net to the corrected figures.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pahna.errors import SettlementError


@dataclass(frozen=True)
class Adjustment:
    id: str
    period: str  # the period whose statement carries the line
    producer_id: str
    amount_minor: int  # signed: positive pays more, negative claws back
    original_period: str
    original_revision: int
    reason: str


def correction(adjustment_id: str, period: str, producer_id: str, paid_minor: int,
               corrected_minor: int, original_period: str, original_revision: int,
               reason: str) -> Adjustment:
    """The adjustment that brings what was paid to the corrected amount."""
    if period <= original_period:
        raise SettlementError(f"an adjustment to {original_period} must be carried by a "
                              f"later period, not {period}")
    return Adjustment(adjustment_id, period, producer_id, corrected_minor - paid_minor,
                      original_period, original_revision, reason)


def adjustments_for(adjustments: Iterable[Adjustment], period: str, producer_id: str
                    ) -> tuple[Adjustment, ...]:
    return tuple(sorted((a for a in adjustments
                         if a.period == period and a.producer_id == producer_id),
                        key=lambda a: a.id))


def net_paid(amounts: dict[str, int], adjustments: Iterable[Adjustment]) -> dict[str, int]:
    """Per original period: the amount paid there plus every adjustment referring to it."""
    out = dict(amounts)
    for adjustment in adjustments:
        out[adjustment.original_period] = (out.get(adjustment.original_period, 0)
                                           + adjustment.amount_minor)
    return out
