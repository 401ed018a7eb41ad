"""Integrity signals do not depend on the order of flows nor on how the store is batched
(files and engine batches): any permutation split over any number of files gives the
same sums and the same signals."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.flowgen import Flow
from tests.unit.integrity.conftest import (
    MONTH,
    PRODUCERS,
    QUERY,
    rules,
    signal_rules,
    write_flows,
)
from tests.unit.integrity.test_signals import FRAME

from pahna.aggregate.engines import get_engine
from pahna.integrity.signals import compute_signals
from pahna.settle.usage import assemble_usage

SOURCES = ["10.1.0.1", "10.1.7.7", "10.2.0.1", "10.3.0.1", "151.232.0.1"]
CLIENTS = ["2.176.1.5", "2.176.1.9", "5.112.3.4", "10.1.9.9", "10.2.0.7", "203.0.113.10",
           "198.51.100.1", "2a01:5ec0::1"]
HOUR = 3_600_000

flows = st.lists(st.builds(
    Flow, src=st.sampled_from(SOURCES), dst=st.sampled_from(CLIENTS[:7]),
    bytes=st.sampled_from([100, 1500, 64_000]),
    start_ms=st.integers(0, 24 * 20).map(lambda h: MONTH.start_ms + h * HOUR),
    end_ms=st.none(), sampling_rate=st.sampled_from([1, 1, 100])), min_size=1, max_size=60)


def computed(paths: list[Path]):  # type: ignore[no-untyped-def]
    engine = get_engine("duckdb")
    tables = engine.signals(paths, QUERY, signal_rules(), 2)
    usage = engine.usage(paths, QUERY, rules())
    empty = usage.slice(0, 0).select(["producer_id", "bin_start_ms", "bytes"])
    counted = assemble_usage(PRODUCERS, usage, empty, {}, {})
    return ({k: t.to_pylist() for k, t in tables.items()},
            compute_signals(counted, tables, FRAME, {}))


@settings(max_examples=30, deadline=None)
@given(flows, st.randoms(use_true_random=False), st.integers(1, 5))
def test_order_and_batching_do_not_change_signals(flows: list[Flow], rng, parts: int  # type: ignore[no-untyped-def]
                                                   ) -> None:
    shuffled = list(flows)
    rng.shuffle(shuffled)
    with tempfile.TemporaryDirectory() as folder:
        one = computed(write_flows(Path(folder) / "one", flows))
        many = computed(write_flows(Path(folder) / "many", shuffled, parts))
    assert one == many
