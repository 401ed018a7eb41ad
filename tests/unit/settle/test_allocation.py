"""Client-centric allocation (settle.allocation) against hand-worked numbers."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from pahna.settle.allocation import client_centric_claims, client_weights

N1, N2, N3 = 1, 2, 3


def test_each_client_network_weighs_one() -> None:
    # n1 took 900 bytes from A and 100 from B; n2 and n3 took 100 each from B only
    client_bytes = {"A": {N1: 900}, "B": {N1: 100, N2: 100, N3: 100}}
    assert client_weights(client_bytes) == {"A": Fraction(9, 10), "B": Fraction(21, 10)}
    # the claims' total, 1,200, shared 0.9 : 2.1: A's heavy client no longer dominates
    claims = {"A": Fraction(900), "B": Fraction(300), "C": Fraction(0)}
    assert client_centric_claims(claims, client_bytes) == {
        "A": Fraction(360), "B": Fraction(840), "C": Fraction(0)}


def test_no_client_networks_gives_nothing_to_share_by() -> None:
    assert client_centric_claims({"A": Fraction(5)}, {}) == {"A": Fraction(0)}


@given(st.dictionaries(st.sampled_from(["A", "B", "C", "D"]),
                       st.dictionaries(st.integers(0, 2**56),
                                       st.integers(1, 10**9), min_size=1, max_size=5),
                       min_size=1),
       st.integers(1, 10**9))
def test_weights_sum_to_the_networks_and_claims_keep_their_total(
        client_bytes: dict[str, dict[int, int]], scale: int) -> None:
    networks = {net for nets in client_bytes.values() for net in nets}
    assert sum(client_weights(client_bytes).values()) == len(networks)
    claims = {pid: Fraction(scale * (i + 1)) for i, pid in enumerate(client_bytes)}
    assert sum(client_centric_claims(claims, client_bytes).values()) == sum(claims.values())
