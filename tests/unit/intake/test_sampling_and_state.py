"""Sampling from options records (sampler aware), the per-exporter override, template
state across restarts, data held until its template, and sequence gaps."""

from __future__ import annotations

import struct

import pyarrow as pa

from pahna.intake import elements as ie
from pahna.intake.base import Datagram
from pahna.intake.dispatch import FlowDecoder
from pahna.intake.netflow.encoder import encode_v9, v9_template_flowset
from pahna.intake.netflow.v9 import HEADER
from pahna.schema import FLOW_SCHEMA, IPV4_MAPPED_PREFIX, address_to_bytes

EXPORTER = address_to_bytes("192.0.2.1")
EXPORT_MS = 1_760_000_000_000


def flows(count: int, sampling_rate: int = 0) -> pa.Table:
    rows = [{"exporter": EXPORTER, "observation_domain": 0,
             "src_addr": IPV4_MAPPED_PREFIX + bytes([10, 0, 0, n]),
             "dst_addr": IPV4_MAPPED_PREFIX + bytes([10, 0, 1, n]), "src_port": n,
             "dst_port": 80, "protocol": 6, "bytes": 100, "packets": 1,
             "start_ms": EXPORT_MS - 10, "end_ms": EXPORT_MS, "sampling_rate": sampling_rate,
             "input_if": 0, "output_if": 0, "direction": 0, "src_as": 0, "dst_as": 0,
             "batch_id": ""} for n in range(count)]
    return pa.Table.from_pylist(rows, schema=FLOW_SCHEMA)


def v9_packet(flowsets: bytes, sequence: int = 0, count: int = 10) -> bytes:
    return HEADER.pack(9, count, 10**7, EXPORT_MS // 1000, sequence, 0) + flowsets


def options_flowsets(sampler: int, rate: int) -> bytes:
    """An options template (scope: system; options: sampler id, interval) and its record."""
    fields = struct.pack("!HHHHHH", 1, 4, ie.SAMPLER_ID, 1, ie.SAMPLING_INTERVAL, 4)
    template = struct.pack("!HHH", 300, 4, 8) + fields
    template_set = struct.pack("!HH", 1, 4 + len(template)) + template
    record = struct.pack("!IBI", 0, sampler, rate) + b"\x00\x00\x00"
    return template_set + struct.pack("!HH", 300, 4 + len(record)) + record


def data_with_sampler(template_id: int, sampler: int) -> bytes:
    fields = struct.pack("!HHHHHHHH", ie.SRC_V4, 4, ie.OCTET_DELTA, 4, ie.PACKET_DELTA, 4,
                         ie.SAMPLER_ID, 1)
    template = struct.pack("!HH", template_id, 4) + fields
    record = bytes([10, 0, 0, 9]) + struct.pack("!IIB", 500, 5, sampler) + b"\x00\x00\x00"
    return (struct.pack("!HH", 0, 4 + len(template)) + template
            + struct.pack("!HH", template_id, 4 + len(record)) + record)


def decode(decoder: FlowDecoder, *payloads: bytes, received_ms: int = 0) -> pa.Table:
    result = decoder.decode([Datagram(EXPORTER, p, received_ms) for p in payloads], "t")
    assert result.rejected == []
    return result.flows


def test_options_rates_follow_the_sampler_named_by_each_record() -> None:
    decoder = FlowDecoder()
    decode(decoder, v9_packet(options_flowsets(sampler=1, rate=100)),
           v9_packet(options_flowsets(sampler=2, rate=4096), sequence=1))
    one = decode(decoder, v9_packet(data_with_sampler(400, sampler=1), sequence=2))
    two = decode(decoder, v9_packet(data_with_sampler(401, sampler=2), sequence=3))
    assert one.column("sampling_rate").to_pylist() == [100]
    assert two.column("sampling_rate").to_pylist() == [4096]
    assert one.column("bytes").to_pylist() == [500]  # raw counters, never scaled in place


def test_reassigned_rate_applies_to_later_data_only() -> None:
    decoder = FlowDecoder()
    decode(decoder, v9_packet(options_flowsets(sampler=1, rate=256)))
    before = decode(decoder, v9_packet(data_with_sampler(400, sampler=1), sequence=1))
    decode(decoder, v9_packet(options_flowsets(sampler=1, rate=1024), sequence=2))
    after = decode(decoder, v9_packet(data_with_sampler(400, sampler=1), sequence=3))
    assert before.column("sampling_rate").to_pylist() == [256]
    assert after.column("sampling_rate").to_pylist() == [1024]


def test_configured_override_replaces_the_exported_rate() -> None:
    decoder = FlowDecoder(sampling_override={EXPORTER: 2000})
    decode(decoder, v9_packet(options_flowsets(sampler=1, rate=100)))
    got = decode(decoder, v9_packet(data_with_sampler(400, sampler=1), sequence=1))
    assert got.column("sampling_rate").to_pylist() == [2000]


def test_templates_survive_a_restart() -> None:
    packets = list(encode_v9(flows(40), EXPORT_MS, 10**7))
    first = FlowDecoder()
    decode(first, packets[0])
    restarted = FlowDecoder()
    restarted.restore(first.state())
    assert decode(restarted, packets[1]).num_rows == 20


def test_data_before_template_is_held_then_decoded() -> None:
    packets = list(encode_v9(flows(40), EXPORT_MS, 10**7))
    template = v9_packet(v9_template_flowset(), sequence=5, count=2)
    decoder = FlowDecoder(hold_s=60)
    assert decode(decoder, packets[1]).num_rows == 0
    assert decoder.counters.exporter(EXPORTER).template_misses == 1
    assert decode(decoder, template).num_rows == 20


def test_data_waiting_past_the_hold_time_is_rejected_for_quarantine() -> None:
    packets = list(encode_v9(flows(40), EXPORT_MS, 10**7))
    decoder = FlowDecoder(hold_s=1)
    decode(decoder, packets[1], received_ms=0)
    late = decoder.decode([Datagram(EXPORTER, packets[0][:20], 5_000)], "t")
    reasons = [r.error.reason for r in late.rejected]
    assert reasons == ["template_missing"]
    assert decoder.counters.exporter(EXPORTER).errors["template_missing"] == 1


def test_sequence_gaps_count_missing_packets() -> None:
    packets = list(encode_v9(flows(100), EXPORT_MS, 10**7))  # 5 packets, sequence 0..4
    decoder = FlowDecoder()
    decode(decoder, packets[0], packets[1], packets[4])
    assert decoder.counters.exporter(EXPORTER).sequence_gaps == 2
