"""Allocation modes: how the pool follows the claims (the tariff's `[content] allocation`).

- `pro_rata` (the default): each producer's claim is what the tariff makes of its bytes,
  and the pool is shared in proportion to the claims (`settle.pool`).
- `client_centric`: each client network (/24 or /48) carries an equal budget of 1 that it
  spreads over the producers it took bytes from, in proportion to those bytes; a
  producer's weight is the sum of what every client network gave it. The same total of
  claims is then shared by these weights, so a few heavy clients cannot dominate a
  payment, and the pool follows as in pro rata.

Statements show both figures (the amount each mode would pay), whichever is in force,
so the choice can be argued with numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

ALLOCATION_MODES = ("pro_rata", "client_centric")


def client_weights(client_bytes: Mapping[str, Mapping[int, Fraction | int]]
                   ) -> dict[str, Fraction]:
    """Each producer's weight: the sum over client networks of its part of the network's
    bytes (every network with bytes weighs 1 in all)."""
    per_network: dict[int, Fraction] = {}
    for networks in client_bytes.values():
        for network, value in networks.items():
            per_network[network] = per_network.get(network, Fraction(0)) + Fraction(value)
    return {pid: sum((Fraction(value) / per_network[network]
                      for network, value in networks.items() if per_network[network]),
                     Fraction(0))
            for pid, networks in client_bytes.items()}


def client_centric_claims(claims: Mapping[str, Fraction],
                          client_bytes: Mapping[str, Mapping[int, Fraction | int]]
                          ) -> dict[str, Fraction]:
    """The claims' total shared by client weights (0 for a producer with no client
    network; all 0 when no producer has one)."""
    weights = client_weights(client_bytes)
    whole = sum((weights.get(pid, Fraction(0)) for pid in claims), Fraction(0))
    total = sum(claims.values(), Fraction(0))
    if not whole:
        return dict.fromkeys(claims, Fraction(0))
    return {pid: total * weights.get(pid, Fraction(0)) / whole for pid in claims}
