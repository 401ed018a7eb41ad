from __future__ import annotations

import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from pahna.intake.plausible import MAX_SCALED_COUNT, broken_rules
from pahna.schema import FLOW_SCHEMA

U64 = st.integers(min_value=0, max_value=2**64 - 1)
RATE = st.integers(min_value=1, max_value=2**32 - 1)


def flows(rows: list[tuple[int, int, int]]) -> pa.Table:
    columns = {name: [0] * len(rows) for name in FLOW_SCHEMA.names}
    columns["exporter"] = columns["src_addr"] = columns["dst_addr"] = [b"\0" * 16] * len(rows)
    columns["batch_id"] = ["t"] * len(rows)
    columns["bytes"] = [b for b, _, _ in rows]
    columns["packets"] = [p for _, p, _ in rows]
    columns["sampling_rate"] = [r for _, _, r in rows]
    return pa.table(columns, schema=FLOW_SCHEMA)


@given(st.lists(st.tuples(U64, U64, RATE), min_size=1, max_size=30))
def test_the_counter_rule_equals_python_integer_arithmetic(rows: list[tuple[int, int, int]]
                                                           ) -> None:
    expected = [b * r > MAX_SCALED_COUNT or p * r > MAX_SCALED_COUNT for b, p, r in rows]
    broken = dict(broken_rules(flows(rows)))
    got = broken.get("implausible_counter")
    assert (got.tolist() if got is not None else [False] * len(rows)) == expected


def test_the_bound_itself_is_kept_and_one_more_is_not() -> None:
    rows = [(MAX_SCALED_COUNT, 1, 1), (MAX_SCALED_COUNT + 1, 1, 1),
            (2**40, 1, 1024), (2**40 + 1, 1, 1024), (1, 2**63, 1)]
    (reason, mask), = broken_rules(flows(rows))
    assert reason == "implausible_counter"
    assert mask.tolist() == [False, True, False, True, True]
