"""Sums of bytes never wrap: pahna.sums against Python's unbounded integers, and the
places that used to wrap (int64 NumPy sums, uint64 products) reproduced."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.flowgen import Flow, flow_table

from pahna.aggregate.engines.duckdb import DuckDbEngine
from pahna.aggregate.kernel import Rules, producer_flows
from pahna.aggregate.queries import GROUP_KEYS, UsageQuery
from pahna.attribute.claims import ClaimIndex, TimedPrefix
from pahna.attribute.domestic import DomesticIndex
from pahna.errors import CounterOverflowError
from pahna.parties import Producer
from pahna.settle.usage import BinUsage, ProducerUsage
from pahna.store.reader import committed_files
from pahna.store.writer import write_batch
from pahna.sums import INT64_MAX, exact_sum, grouped_sums, row_sums, scaled

INT64 = st.integers(-(2**63), 2**63 - 1)
UINT64 = st.integers(0, 2**64 - 1)


@given(st.lists(INT64, max_size=50))
def test_exact_sum_of_int64_is_pythons(values: list[int]) -> None:
    assert exact_sum(np.array(values, dtype=np.int64)) == sum(values)


@given(st.lists(UINT64, max_size=50))
def test_exact_sum_of_uint64_is_pythons(values: list[int]) -> None:
    assert exact_sum(np.array(values, dtype=np.uint64)) == sum(values)


@settings(deadline=None)  # the first call pays Arrow's one-time set-up
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 2**63 - 1)),
                max_size=40))
def test_grouped_sums_are_exact_or_refused(rows: list[tuple[int, int, int]]) -> None:
    want: dict[tuple[int, int], int] = {}
    for a, b, v in rows:
        want[(a, b)] = want.get((a, b), 0) + v
    keys = [np.array([r[0] for r in rows], np.int64), np.array([r[1] for r in rows], np.int64)]
    values = np.array([r[2] for r in rows], np.uint64)
    if any(v > INT64_MAX for v in want.values()):
        with pytest.raises(CounterOverflowError):
            grouped_sums(keys, values)
        return
    (a, b), sums = grouped_sums(keys, values)
    assert dict(zip(zip(a.tolist(), b.tolist(), strict=True), sums.tolist(),
                    strict=True)) == want


@given(st.lists(st.tuples(UINT64, st.integers(0, 2**32 - 1)), max_size=30))
def test_scaling_is_exact_or_refused(rows: list[tuple[int, int]]) -> None:
    counts = np.array([r[0] for r in rows], np.uint64)
    rates = np.array([r[1] for r in rows], np.uint32)
    products = [c * max(r, 1) for c, r in rows]
    if any(p > INT64_MAX for p in products):
        with pytest.raises(CounterOverflowError, match="does not fit 64 bits"):
            scaled(counts, rates)
        return
    assert scaled(counts, rates).tolist() == products


@given(st.lists(st.lists(st.integers(0, 2**63 - 1), min_size=3, max_size=3), min_size=1,
                max_size=20))
def test_row_sums_are_exact_or_refused(rows: list[list[int]]) -> None:
    matrix = np.array(rows, dtype=np.int64)
    if any(sum(r) > INT64_MAX for r in rows):
        with pytest.raises(CounterOverflowError):
            row_sums(matrix)
        return
    assert row_sums(matrix).tolist() == [sum(r) for r in rows]


def test_a_producers_month_past_int64_is_exact_not_negative() -> None:
    """Regression: ProducerUsage summed its bins as int64 NumPy sums, so two bins of
    2^62 bytes came out as -2^63."""
    bins = (BinUsage(0, domestic=2**62), BinUsage(300_000, domestic=2**62))
    usage = ProducerUsage(Producer("p", "P", "", "IR-25"), bins)
    assert usage.total("domestic") == 2**63
    assert usage.sent_bytes == 2**63


def test_received_bytes_and_flows_refuse_a_product_that_would_wrap(tmp_path: Path) -> None:
    """Regression: received bytes were scaled as uint64 products, so 2^63 bytes at a
    sampling rate of 2 became 0. Now received bytes are summed by the engine's SQL (which
    fails on overflow) and explain's flows are scaled through pahna.sums."""
    start = 1_761_165_000_000
    write_batch(tmp_path, flow_table([Flow("2.176.1.1", "185.1.0.1", 2**62, start,
                                           sampling_rate=2)]), "unit", "ab" * 32)
    files = committed_files(tmp_path, 0, 2**62)
    claims = ClaimIndex.build([TimedPrefix("a", ipaddress.ip_network("185.1.0.0/16"), 0,
                                           None)])
    rules = Rules(claims, DomesticIndex.empty())
    query = UsageQuery("1404-08", start, start + 86_400_000, GROUP_KEYS)
    with pytest.raises(CounterOverflowError):
        DuckDbEngine().settlement(files, query, rules)
    flows = flow_table([Flow("185.1.0.1", "2.176.1.1", 2**63, 0, sampling_rate=2)])
    batch = flows.to_batches()[0]
    with pytest.raises(CounterOverflowError, match="sampling rate 2"):
        producer_flows(batch, rules, 0, (0, 300_000))
