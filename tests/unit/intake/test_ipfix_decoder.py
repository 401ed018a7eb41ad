import struct

import pyarrow as pa
from tests.flowgen import Flow, flow_table

from pahna.intake.base import Datagram
from pahna.intake.ipfix import IpfixDecoder
from pahna.intake.ipfix.decoder import HEADER, SET_HEADER
from pahna.intake.ipfix.encoder import encode_flows, template_set
from pahna.schema import address_to_bytes, address_to_text

EXPORTER = address_to_bytes("127.0.0.1")
T0 = 1_761_165_000_000  # 2025-10-22T20:30:00Z, the start of Jalali 1404-08


def sample_flows(n: int = 300) -> pa.Table:
    flows = []
    for i in range(n):
        src = f"185.100.{i % 4}.{i % 250}" if i % 3 else f"2a0e:9b00::{i:x}"
        dst = f"2.176.{i % 200}.{i % 7}" if i % 3 else f"2a01:5ec0::{i:x}"
        flows.append(Flow(src, dst, bytes=1000 + i * 7919, start_ms=T0 + i * 1000,
                          end_ms=T0 + i * 1000 + 4000, packets=1 + i, src_port=443,
                          dst_port=40000 + i))
    return flow_table(flows)


def decode(messages: list[bytes], decoder: IpfixDecoder | None = None) -> tuple:
    decoder = decoder or IpfixDecoder()
    result = decoder.decode([Datagram(EXPORTER, m, 0) for m in messages], "b1")
    return decoder, result


def test_round_trip_preserves_every_field() -> None:
    table = sample_flows()
    _, result = decode(list(encode_flows(table)))
    assert result.rejected == []
    got = result.flows.sort_by("start_ms")
    for column in ("src_addr", "dst_addr", "bytes", "packets", "start_ms", "end_ms",
                   "src_port", "dst_port", "protocol"):
        assert got.column(column).to_pylist() == table.column(column).to_pylist(), column
    assert address_to_text(got.column("src_addr")[1].as_py()) == "185.100.1.1"


def test_data_before_template_is_held_and_decoded_when_template_arrives() -> None:
    messages = list(encode_flows(sample_flows(30), template_every=10_000))
    first = messages[0]
    # strip the template set from the first message, send the template later on its own
    _, _length, export_s, seq, domain = HEADER.unpack_from(first)
    template_len = len(template_set())
    data_only = first[HEADER.size + template_len:]
    late_data = HEADER.pack(10, HEADER.size + len(data_only), export_s, seq, domain) + data_only
    template_only = HEADER.pack(10, HEADER.size + template_len, export_s, 0, domain) + \
        template_set()
    decoder, first_result = decode([late_data])
    assert first_result.flows.num_rows == 0
    assert decoder.counters.exporter(EXPORTER).template_misses == 1
    _, second = decode([template_only], decoder)
    _, direct = decode([first])
    assert direct.flows.num_rows > 0
    assert second.flows.to_pylist() == direct.flows.to_pylist()


def test_malformed_datagram_is_rejected_and_the_rest_of_the_batch_survives() -> None:
    good = list(encode_flows(sample_flows(20)))
    truncated = good[0][:-7]  # header length now lies
    bad_set = bytearray(good[0])
    struct.pack_into("!H", bad_set, HEADER.size + 2, 60000)  # set length past the end
    wrong_version = b"\x00\x07" + good[0][2:]
    decoder, result = decode([truncated, bytes(bad_set), wrong_version, *good])
    assert result.flows.num_rows == 20
    reasons = sorted(r.error.reason for r in result.rejected)
    assert reasons == ["truncated", "truncated", "unsupported_version"]
    counters = decoder.counters.exporter(EXPORTER)
    assert counters.errors["truncated"] == 2
    assert counters.datagrams == 3 + len(good)


def test_template_withdrawal_stops_decoding_until_redefined() -> None:
    messages = list(encode_flows(sample_flows(10)))
    decoder, result = decode(messages)
    assert result.flows.num_rows == 10
    withdraw = SET_HEADER.pack(2, 8) + struct.pack("!HH", 256, 0)
    msg = HEADER.pack(10, HEADER.size + len(withdraw), 0, 10, 1) + withdraw
    decode([msg], decoder)
    data_without_template = messages[0][HEADER.size + len(template_set()):]
    again = HEADER.pack(10, HEADER.size + len(data_without_template), 0, 10, 1) + \
        data_without_template
    _, later = decode([again], decoder)
    assert later.flows.num_rows == 0


def test_sequence_gaps_estimate_lost_records() -> None:
    messages = list(encode_flows(sample_flows(200), template_every=1))
    _, dropped = decode([messages[2]])
    decoder, _ = decode(messages[:2] + messages[3:])
    assert decoder.counters.exporter(EXPORTER).sequence_gaps == dropped.flows.num_rows
