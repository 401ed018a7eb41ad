"""Share the month's budget pool among claims, holding each producer to its cap.

Each producer's limit is min(claim, cap). When the limits fit in the pool, everyone is
paid its limit. Otherwise the pool is shared by the tariff's rule (proportional to the
claims by default; "equal" shares equally) among the producers not yet held at their
limit; whoever a share would push past its limit is held there, and what that cut off is
re-shared among the rest, until nothing changes. The exact shares are then rounded by
largest remainder (ties: the smaller producer id), so they sum to the pool exactly, no
share is more than one minor unit from its exact value, and no cap is exceeded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from pahna.settle.money import round_minor, round_shares


@dataclass(frozen=True)
class PoolResult:
    amounts: dict[str, int]
    exact: dict[str, Fraction]
    scaled: bool  # the limits exceeded the pool and were shared out
    held_at_cap: frozenset[str]


def limits(claims: Mapping[str, Fraction], cap: int | None) -> dict[str, Fraction]:
    return {k: v if cap is None else min(v, Fraction(cap)) for k, v in claims.items()}


def exact_shares(pool: int, claims: Mapping[str, Fraction], cap: int | None,
                 rule: str = "proportional") -> dict[str, Fraction]:
    """Exact shares of `pool`, each at most min(claim, cap), by the re-sharing loop."""
    limit = limits(claims, cap)
    held: dict[str, Fraction] = {}
    while True:
        free = {k: v for k, v in claims.items() if k not in held and limit[k] > 0}
        left = Fraction(pool) - sum(held.values(), Fraction(0))
        weights = {k: (v if rule == "proportional" else Fraction(1)) for k, v in free.items()}
        total = sum(weights.values(), Fraction(0))
        shares = {k: left * w / total for k, w in weights.items()} if total else {}
        over = {k for k, s in shares.items() if s >= limit[k]}
        if not over:
            return {k: held.get(k, shares.get(k, Fraction(0))) for k in claims}
        held.update({k: limit[k] for k in over})


def share_pool(pool: int, claims: Mapping[str, Fraction], cap: int | None = None,
               rule: str = "proportional") -> PoolResult:
    """Amounts (minor units) paid against exact `claims` from a pool, under a cap."""
    limit = limits(claims, cap)
    capped = frozenset(k for k, v in claims.items() if cap is not None and v > cap)
    if sum(limit.values(), Fraction(0)) <= pool:
        rounded = {k: round_minor(v) for k, v in limit.items()}
        if sum(rounded.values()) > pool:  # rounding up would overdraw the pool
            rounded = round_shares(limit, pool)
        return PoolResult(rounded, limit, False, capped)
    exact = exact_shares(pool, claims, cap, rule)
    held = frozenset(k for k in claims if cap is not None and exact[k] == cap)
    return PoolResult(round_shares(exact), exact, True, held)
