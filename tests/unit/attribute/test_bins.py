import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from pahna.attribute.bins import spread_bins
from pahna.schema import BIN_MS


def test_flow_spanning_three_bins_splits_in_proportion_to_time() -> None:
    # 100 s in the first bin, 300 s in the second, 200 s in the third: 600 s in all
    start = np.array([BIN_MS - 100_000])
    end = np.array([2 * BIN_MS + 200_000])
    rows, bins, (spread,) = spread_bins(start, end, [np.array([6_000], dtype=np.uint64)])
    assert rows.tolist() == [0, 0, 0]
    assert bins.tolist() == [0, BIN_MS, 2 * BIN_MS]
    assert spread.tolist() == [1_000, 3_000, 2_000]


def test_zero_duration_and_bin_edge() -> None:
    start = np.array([BIN_MS, 0])
    end = np.array([BIN_MS, BIN_MS])  # second flow ends exactly on the edge
    rows, bins, (spread,) = spread_bins(start, end, [np.array([7, 9], dtype=np.uint64)])
    assert rows.tolist() == [0, 1] and bins.tolist() == [BIN_MS, 0]
    assert spread.tolist() == [7, 9]


@given(st.lists(st.tuples(st.integers(0, 10**13), st.integers(0, 10**9),
                          st.integers(0, 2**63)), min_size=1, max_size=30))
def test_spreading_preserves_every_flows_bytes_exactly(flows: list[tuple[int, int, int]]) -> None:
    start = np.array([f[0] for f in flows], dtype=np.int64)
    end = start + np.array([f[1] for f in flows], dtype=np.int64)
    total = np.array([f[2] for f in flows], dtype=np.uint64)
    rows, bins, (spread,) = spread_bins(start, end, [total])
    sums = [0] * len(flows)
    for row, value in zip(rows.tolist(), spread.tolist(), strict=True):
        sums[row] += value
    assert sums == total.tolist()
    assert all(b % BIN_MS == 0 for b in bins.tolist())
