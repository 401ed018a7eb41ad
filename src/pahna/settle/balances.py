"""Balances carried from one statement to the next, so that nothing owed is lost.

A producer's balance for a month is its incentive plus the adjustments carried by the
month plus what earlier finals carried forward to it. An active producer is paid a
positive balance; nothing else is paid:

- a negative balance (a claw-back larger than the month's amount) is carried forward,
  to the rial, to the producer's next statement, and the next, until it is paid off;
- the balance of a suspended or closed producer is held and carried forward the same
  way (positive or negative), until the producer is active again.

Each carry names the final (period and revision) it comes from, so both statements show
it: the first as "carried forward", the next as "carried from".
"""

from __future__ import annotations

from dataclasses import dataclass

ACTIVE = "active"


@dataclass(frozen=True)
class Carry:
    period: str  # the final month the balance was carried from
    revision: int
    amount_minor: int  # signed: negative is owed by the producer, positive held for it


def payable(balance_minor: int, status: str) -> int:
    """What is paid out of a balance: all of it if positive and the producer active."""
    return balance_minor if status == ACTIVE and balance_minor > 0 else 0
