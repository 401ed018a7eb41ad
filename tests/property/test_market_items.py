"""Property: a producer's content items (with its requests of no item) sum to exactly
what settlement gives it from logs (`ContentShares.from_logs`), for random operators'
flows and random edge logs; and no item gets bytes of a request it did not serve."""

from __future__ import annotations

from fractions import Fraction

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from pahna.market.figures import item_bytes
from pahna.settle.tenants import LOG_GROUP, USAGE_SCHEMA, share_operators

DAY_MS = 86_400_000
OPERATORS = ("cdn-a", "cdn-b")
PRODUCERS = ("p-one", "p-two")
ITEMS = {"p-one": ("one-a", "one-b", None), "p-two": ("two-a", None)}
LOG_SCHEMA = pa.schema([("producer_id", pa.string()), ("content_id", pa.string()),
                        ("operator", pa.string()), ("tier", pa.string()),
                        ("excluded", pa.string()), ("traffic_class", pa.string()),
                        ("bin_start_ms", pa.int64()), ("bytes", pa.int64())])

requests = st.lists(st.tuples(
    st.sampled_from(PRODUCERS), st.integers(0, 2), st.sampled_from(("cdn-a", "cdn-b", "")),
    st.sampled_from(("edge", "edge", "origin")), st.booleans(), st.integers(0, 1),
    st.integers(0, 2), st.integers(0, 10**6)), max_size=40)
flows = st.lists(st.tuples(st.sampled_from(OPERATORS), st.integers(0, 1), st.integers(0, 2),
                           st.integers(0, 10**7)), max_size=8)


def _logs(rows: list[tuple[str, int, str, str, bool, int, int, int]]) -> pa.Table:
    out = []
    for producer, item, operator, tier, bot, klass, day, size in rows:
        choices = ITEMS[producer]
        out.append({"producer_id": producer, "content_id": choices[item % len(choices)],
                    "operator": operator, "tier": tier,
                    "excluded": "automated: test" if bot else None,
                    "traffic_class": ("domestic", "international")[klass],
                    "bin_start_ms": day * DAY_MS, "bytes": size})
    return pa.Table.from_pylist(out, LOG_SCHEMA)


@settings(max_examples=60, deadline=None)
@given(requests, flows)
def test_items_sum_to_what_the_producer_has_from_logs(rows, flow_rows) -> None:  # type: ignore[no-untyped-def]
    logs = _logs(rows)
    usage = pa.Table.from_pylist(
        [{"producer_id": op, "traffic_class": ("domestic", "international")[klass],
          "bin_start_ms": day * DAY_MS, "bytes": size} for op, klass, day, size in flow_rows],
        USAGE_SCHEMA)
    shares = share_operators(usage, logs.select([*LOG_GROUP, "bytes"]), OPERATORS,
                             Fraction(1, 20), lambda ms: str(ms // DAY_MS))
    found = item_bytes(shares, logs, OPERATORS)
    for producer in PRODUCERS:
        mine = sum(v for (pid, _), v in found.items() if pid == producer)
        assert mine == shares.from_logs(producer)
    served = {(r[0], ITEMS[r[0]][r[1] % len(ITEMS[r[0]])] or "") for r in rows
              if r[3] == "edge" and not r[4] and r[7]}
    assert set(found) <= served
