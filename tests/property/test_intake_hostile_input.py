"""Random and mutated datagrams: the decoders raise nothing but pahna's DecodeError, and a
batch decode never raises at all (bad datagrams are rejected, the rest decoded)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pahna.errors import DecodeError
from pahna.intake.base import Datagram
from pahna.intake.dispatch import FlowDecoder
from pahna.intake.ipfix.decoder import parse_message as parse_ipfix
from pahna.intake.ipfix.encoder import encode_flows
from pahna.intake.netflow.encoder import encode_v5, encode_v9
from pahna.intake.netflow.v5 import split_packets
from pahna.intake.netflow.v9 import parse_message as parse_v9
from pahna.intake.sflow.datagrams import Samples, parse_datagram
from pahna.intake.sflow.encoder import encode_sflow
from pahna.schema import FLOW_SCHEMA, IPV4_MAPPED_PREFIX

EXPORTER = IPV4_MAPPED_PREFIX + bytes([198, 51, 100, 1])
ROW = {"exporter": EXPORTER, "observation_domain": 0, "src_port": 443, "dst_port": 5555,
       "protocol": 6, "bytes": 1500, "packets": 3, "start_ms": 1_760_000_000_000,
       "end_ms": 1_760_000_000_500, "sampling_rate": 1, "input_if": 1, "output_if": 2,
       "direction": 0, "src_as": 0, "dst_as": 0, "batch_id": "x"}
V4 = {**ROW, "src_addr": IPV4_MAPPED_PREFIX + bytes([10, 0, 0, 1]),
      "dst_addr": IPV4_MAPPED_PREFIX + bytes([10, 0, 0, 2])}
V6 = {**ROW, "src_addr": b"\x20\x01" + bytes(14), "dst_addr": b"\x20\x01" + bytes(13) + b"\x01"}
FLOWS = pa.Table.from_pylist([V4, V6] * 5, schema=FLOW_SCHEMA)
SEEDS = [
    *encode_flows(FLOWS), *encode_v9(FLOWS, 1_760_000_001_000, 10_000_000),
    *encode_v5(FLOWS, 1_760_000_001_000, 10_000_000), *encode_sflow(FLOWS),
]


def _sflow(payload: bytes) -> None:
    parse_datagram(payload, Samples())


PARSERS = [lambda p: parse_ipfix(Datagram(EXPORTER, p, 0)),
           lambda p: parse_v9(Datagram(EXPORTER, p, 0)), split_packets, _sflow]


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 8))):
        action = draw(st.sampled_from(["set", "cut", "insert"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if action == "set" and data:
            data[at] = draw(st.integers(0, 255))
        elif action == "cut":
            del data[at : at + draw(st.integers(1, 64))]
        else:
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
    return bytes(data)


def _only_decode_errors(payload: bytes) -> None:
    for parse in PARSERS:
        with contextlib.suppress(DecodeError):  # anything else fails the test
            parse(payload)


def _batch_survives(payloads: list[bytes]) -> None:
    decoder = FlowDecoder(hold_s=0)
    datagrams = [Datagram(EXPORTER, p, i) for i, p in enumerate(payloads)]
    good = Datagram(EXPORTER, SEEDS[0], len(payloads))
    result = decoder.decode([*datagrams, good], "hostile")  # must not raise
    assert all(isinstance(r.error, DecodeError) for r in result.rejected)
    assert decoder.counters.exporter(EXPORTER).datagrams == len(payloads) + 1


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2048))
def test_random_bytes(payload: bytes) -> None:
    _only_decode_errors(payload)
    _batch_survives([payload])


@settings(max_examples=400, deadline=None)
@given(st.lists(mutated(SEEDS), min_size=1, max_size=5))
def test_mutated_encoder_output(payloads: list[bytes]) -> None:
    for payload in payloads:
        _only_decode_errors(payload)
    _batch_survives(payloads)


@pytest.fixture(scope="module")
def real_datagrams(shared_dir: Path) -> list[bytes]:
    return [p.read_bytes() for p in sorted((shared_dir / "captures/vendor-payloads").glob("*"))
            if p.suffix == ".dat"]


@settings(max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_real_datagrams(real_datagrams: list[bytes], data: st.DataObject) -> None:
    payloads = data.draw(st.lists(mutated(real_datagrams), min_size=1, max_size=5))
    for payload in payloads:
        _only_decode_errors(payload)
    _batch_survives(payloads)
