"""Encoders and decoders agree: random flows survive IPFIX, NetFlow v9, v5 and sFlow."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from pahna.intake.base import Datagram
from pahna.intake.dispatch import FlowDecoder
from pahna.intake.ipfix.encoder import encode_flows
from pahna.intake.netflow.encoder import encode_v5, encode_v9
from pahna.intake.plausible import MAX_SCALED_COUNT
from pahna.intake.sflow.encoder import encode_sflow
from pahna.schema import FLOW_SCHEMA, IPV4_MAPPED_PREFIX

EXPORTER = IPV4_MAPPED_PREFIX + bytes([192, 0, 2, 7])
EXPORT_MS = 1_760_000_000_000
COMPARED = ("src_addr", "dst_addr", "src_port", "dst_port", "protocol", "bytes", "packets",
            "start_ms", "end_ms", "sampling_rate", "input_if", "output_if", "direction",
            "src_as", "dst_as")


@st.composite
def flow_rows(draw: st.DrawFn, v4_only: bool = False, narrow: bool = False) -> dict[str, Any]:
    """One flow; `narrow` keeps counters and fields within NetFlow v5's widths."""
    v6 = not v4_only and draw(st.booleans())
    if v6:
        src, dst = (draw(st.binary(min_size=16, max_size=16)) for _ in range(2))
        src, dst = (b"\x20" + a[1:] for a in (src, dst))  # never IPv4-mapped by chance
    else:
        src, dst = (IPV4_MAPPED_PREFIX + draw(st.binary(min_size=4, max_size=4))
                    for _ in range(2))
    small = 2**16 - 1 if narrow else 2**32 - 1
    rate = 1 if narrow else draw(st.integers(1, 2**32 - 1))
    # counters as wide as the format carries, within what intake stores (scaled by the
    # rate, at most MAX_SCALED_COUNT; past it a datagram is quarantined, tested apart)
    big = 2**32 - 1 if narrow else MAX_SCALED_COUNT // rate
    start = EXPORT_MS - draw(st.integers(0, 3_600_000))
    return {
        "exporter": EXPORTER, "observation_domain": 0, "src_addr": src, "dst_addr": dst,
        "src_port": draw(st.integers(0, 65535)), "dst_port": draw(st.integers(0, 65535)),
        "protocol": draw(st.integers(0, 255)), "bytes": draw(st.integers(0, big)),
        "packets": draw(st.integers(0, big)), "start_ms": start,
        "end_ms": min(start + draw(st.integers(0, 600_000)), EXPORT_MS),
        "sampling_rate": rate,
        "input_if": draw(st.integers(0, small)), "output_if": draw(st.integers(0, small)),
        "direction": 255 if narrow else draw(st.sampled_from([0, 1])),
        "src_as": draw(st.integers(0, small)), "dst_as": draw(st.integers(0, small)),
        "batch_id": "x",
    }


def table(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=FLOW_SCHEMA)


def decoded(payloads: list[bytes]) -> list[tuple[Any, ...]]:
    result = FlowDecoder().decode([Datagram(EXPORTER, p, EXPORT_MS) for p in payloads], "rt")
    assert result.rejected == []
    return sorted(tuple(r[c] for c in COMPARED) for r in result.flows.to_pylist())


def expected(rows: list[dict[str, Any]], **changes: Any) -> list[tuple[Any, ...]]:
    return sorted(tuple({**r, **changes}.get(c) for c in COMPARED) for r in rows)


@settings(max_examples=60, deadline=None)
@given(st.lists(flow_rows(), min_size=1, max_size=120))
def test_ipfix_round_trip(rows: list[dict[str, Any]]) -> None:
    assert decoded(list(encode_flows(table(rows)))) == expected(rows)


@settings(max_examples=60, deadline=None)
@given(st.lists(flow_rows(), min_size=1, max_size=120), st.integers(3_600_001, 2**32 - 1))
def test_netflow_v9_round_trip(rows: list[dict[str, Any]], uptime_ms: int) -> None:
    packets = list(encode_v9(table(rows), EXPORT_MS, uptime_ms, source_id=3))
    assert decoded(packets) == expected(rows)


@settings(max_examples=60, deadline=None)
@given(st.lists(flow_rows(v4_only=True, narrow=True), min_size=1, max_size=100),
       st.integers(3_600_001, 2**32 - 1), st.integers(0, 2**14 - 1))
def test_netflow_v5_round_trip(rows: list[dict[str, Any]], uptime_ms: int,
                               sampling: int) -> None:
    packets = list(encode_v5(table(rows), EXPORT_MS, uptime_ms, sampling=sampling))
    assert decoded(packets) == expected(rows, sampling_rate=max(sampling, 1))


@settings(max_examples=40, deadline=None)
@given(st.lists(flow_rows(narrow=True), min_size=1, max_size=60))
def test_sflow_round_trip(rows: list[dict[str, Any]]) -> None:
    """A sampled packet per row: its frame length is `bytes`, one packet, at receipt."""
    sampled = [{**r, "bytes": r["bytes"], "src_as": 0, "dst_as": 0} for r in rows]
    packets = list(encode_sflow(table(sampled)))
    ports = {6, 17, 132}
    want = sorted(
        tuple({**r, "packets": 1, "start_ms": EXPORT_MS, "end_ms": EXPORT_MS,
               "src_port": r["src_port"] if r["protocol"] in ports else 0,
               "dst_port": r["dst_port"] if r["protocol"] in ports else 0}[c]
              for c in COMPARED) for r in sampled)
    assert decoded(packets) == want
