"""Properties of money: pool shares, caps, adjustments, bin spreading, reruns."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pahna.attribute.bins import spread_bins
from pahna.settle.adjustments import correction, net_paid
from pahna.settle.pool import exact_shares, share_pool

ids = st.text("abcdefgh", min_size=1, max_size=4)
claims_st = st.dictionaries(ids, st.fractions(min_value=0, max_value=10**9, max_denominator=10**6),
                            min_size=1, max_size=12)


@given(pool=st.integers(0, 10**10), claims=claims_st,
       cap=st.one_of(st.none(), st.integers(0, 10**9)), rule=st.sampled_from(
           ["proportional", "equal"]))
@settings(max_examples=300, deadline=None)
def test_pool_shares_are_exact_capped_and_close(pool: int, claims: dict[str, Fraction],
                                                cap: int | None, rule: str) -> None:
    result = share_pool(pool, claims, cap, rule)
    limit = {k: v if cap is None else min(v, Fraction(cap)) for k, v in claims.items()}
    total_limit = sum(limit.values(), Fraction(0))
    if total_limit > pool:
        assert sum(result.amounts.values()) == pool  # the pool is paid out exactly
    else:
        assert sum(result.amounts.values()) <= pool
    for key, amount in result.amounts.items():
        assert amount >= 0
        assert abs(amount - result.exact[key]) < 1  # never a whole unit from exact
        if cap is not None:
            assert amount <= cap
        assert result.exact[key] <= limit[key]


@given(pool=st.integers(1, 10**8), claims=claims_st, cap=st.integers(0, 10**8))
@settings(max_examples=200, deadline=None)
def test_resharing_reaches_a_fixed_point(pool: int, claims: dict[str, Fraction], cap: int
                                         ) -> None:
    exact = exact_shares(pool, claims, cap)
    limit = {k: min(v, Fraction(cap)) for k, v in claims.items()}
    if sum(limit.values(), Fraction(0)) > pool:
        assert sum(exact.values(), Fraction(0)) == pool
        free = [k for k in claims if exact[k] < limit[k]]
        # those not held at their limit are paid in proportion to their claims
        ratios = {exact[k] / claims[k] for k in free if claims[k]}
        assert len(ratios) <= 1


@given(paid=st.integers(0, 10**12), corrected=st.integers(0, 10**12))
def test_adjustments_net_to_the_corrected_amount(paid: int, corrected: int) -> None:
    first = correction("a1", "1404-09", "p", paid, corrected, "1404-08", 1, "fix")
    again = correction("a2", "1404-10", "p", paid + first.amount_minor, corrected - 7,
                       "1404-08", 1, "second fix")
    net = net_paid({"1404-08": paid}, [first, again])
    assert net["1404-08"] == corrected - 7


@given(st.lists(st.tuples(st.integers(0, 10**13), st.integers(0, 4 * 10**6),
                          st.integers(0, 2**40)), min_size=1, max_size=50))
@settings(max_examples=300, deadline=None)
def test_spreading_preserves_bytes(flows: list[tuple[int, int, int]]) -> None:
    start = np.array([f[0] for f in flows], dtype=np.int64)
    end = start + np.array([f[1] for f in flows], dtype=np.int64)
    values = np.array([f[2] for f in flows], dtype=np.uint64)
    rows, bins, (spread,) = spread_bins(start, end, [values])
    totals = np.zeros(len(flows), dtype=object)
    for row, value in zip(rows.tolist(), spread.tolist(), strict=True):
        totals[row] += value
    assert totals.tolist() == values.tolist()
    assert (bins % 300_000 == 0).all()
