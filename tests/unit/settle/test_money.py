from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from pahna.settle.money import allocate_pool, round_minor


def test_round_half_to_even() -> None:
    assert [round_minor(Fraction(n, 2)) for n in (1, 3, 5, -1)] == [0, 2, 2, 0]
    assert round_minor(Decimal("2.5000001")) == 3


def test_largest_remainder_with_tie_break_on_smaller_id() -> None:
    # 100 over three equal weights: 33.33 each; the spare unit goes to the smallest id
    assert allocate_pool(100, {"b": 1, "a": 1, "c": 1}) == {"b": 33, "a": 34, "c": 33}
    assert allocate_pool(10, {"x": 0, "y": 0}) == {"x": 0, "y": 0}
    assert allocate_pool(7, {"x": 5, "y": 2}) == {"x": 5, "y": 2}


@given(st.integers(0, 10**15), st.dictionaries(st.text(min_size=1, max_size=4),
                                                 st.integers(0, 10**18), min_size=1))
def test_pool_shares_sum_exactly_and_stay_within_one_unit(pool: int,
                                                           weights: dict[str, int]) -> None:
    shares = allocate_pool(pool, weights)
    total = sum(weights.values())
    if total == 0:
        assert set(shares.values()) == {0}
        return
    assert sum(shares.values()) == pool
    for key, share in shares.items():
        exact = Fraction(pool * weights[key], total)
        assert share >= 0 and abs(share - exact) < 1
