"""The datagrams that used to stop storage (issue 12): each is now rejected with a reason,
counted, and the rest of its batch is decoded and stored.

Before: absurd 64-bit times made the store's day partition raise `ValueError: year
-292275055 is out of range` (or `year 147416`) and killed the collector's flusher; an
8-byte sampling interval above 2^32 raised `OverflowError: ... out of bounds for uint32`;
a second message in the same datagram could reach a variable-length template the check
had not seen, and `TruncatedError` escaped the decoder.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from pahna.intake import elements as ie
from pahna.intake.base import Datagram
from pahna.intake.dispatch import FlowDecoder
from pahna.intake.plausible import EARLIEST_MS, LATEST_MS
from pahna.schema import address_to_bytes
from pahna.store.writer import write_batch

EXPORTER = address_to_bytes("198.51.100.7")
EXPORT_S = 1_760_000_000


def ipfix(*sets: bytes, sequence: int = 0, domain: int = 1) -> bytes:
    body = b"".join(sets)
    return struct.pack("!HHIII", 10, 16 + len(body), EXPORT_S, sequence, domain) + body


def template_set(template_id: int, fields: list[tuple[int, int]], options: int = 0) -> bytes:
    if options:
        head = struct.pack("!HHH", template_id, len(fields), options)
    else:
        head = struct.pack("!HH", template_id, len(fields))
    body = head + b"".join(struct.pack("!HH", e, n) for e, n in fields)
    return struct.pack("!HH", 3 if options else 2, 4 + len(body)) + body


def data_set(template_id: int, records: bytes) -> bytes:
    return struct.pack("!HH", template_id, 4 + len(records)) + records


TIMED = [(ie.SRC_V4, 4), (ie.DST_V4, 4), (ie.OCTET_DELTA, 8), (ie.PACKET_DELTA, 8),
         (ie.START_MS, 8), (ie.END_MS, 8)]


def timed_record(start_ms: int, end_ms: int, octets: int = 1500) -> bytes:
    return bytes([10, 0, 0, 1, 10, 0, 0, 2]) + struct.pack("!QQqq", octets, 3, start_ms, end_ms)


def good_datagram(sequence: int) -> Datagram:
    record = timed_record(EXPORT_S * 1000 - 500, EXPORT_S * 1000)
    return Datagram(EXPORTER, ipfix(template_set(300, TIMED), data_set(300, record),
                                    sequence=sequence), 0)


@pytest.mark.parametrize("start_ms", [-(2**63), -(2**62) + 12345, 4_589_000_000_000_000,
                                      LATEST_MS + 1, EARLIEST_MS - 1])
def test_absurd_times_are_rejected_and_the_batch_is_stored(tmp_path: Path,
                                                           start_ms: int) -> None:
    hostile = Datagram(EXPORTER, ipfix(template_set(300, TIMED), data_set(
        300, timed_record(start_ms, start_ms + 10)), sequence=1), 0)
    decoder = FlowDecoder()
    result = decoder.decode([good_datagram(0), hostile, good_datagram(1)], "h")
    assert [r.error.reason for r in result.rejected] == ["implausible_time"]
    assert result.rejected[0].datagram is hostile
    assert result.flows.num_rows == 2
    counters = decoder.counters.exporter(EXPORTER)
    assert counters.records == 2 and counters.errors["implausible_time"] == 1
    assert write_batch(tmp_path, result.flows, "test", "e" * 64) is not None


def test_times_at_the_edges_of_the_window_are_kept() -> None:
    edge = Datagram(EXPORTER, ipfix(template_set(300, TIMED), data_set(
        300, timed_record(EARLIEST_MS, LATEST_MS))), 0)
    result = FlowDecoder().decode([edge], "h")
    assert result.rejected == [] and result.flows.num_rows == 1


def test_a_sampling_rate_beyond_32_bits_is_a_reason_not_an_overflow() -> None:
    options = template_set(400, [(ie.SAMPLER_ID, 4), (ie.SAMPLING_INTERVAL, 8)], options=1)
    announce = Datagram(EXPORTER, ipfix(options, data_set(400, struct.pack("!IQ", 0, 2**40))),
                        0)
    decoder = FlowDecoder()
    first = decoder.decode([announce, good_datagram(1)], "s")
    assert [r.error.reason for r in first.rejected] == ["implausible_sampling"]
    in_record = [(ie.SRC_V4, 4), (ie.OCTET_DELTA, 4), (ie.SAMPLING_INTERVAL, 8)]
    wide = Datagram(EXPORTER, ipfix(template_set(500, in_record), data_set(
        500, bytes([10, 0, 0, 3]) + struct.pack("!IQ", 100, 2**33 + 5)), domain=2), 0)
    second = FlowDecoder().decode([wide], "s")
    assert [r.error.reason for r in second.rejected] == ["implausible_sampling"]


def test_a_variable_length_template_from_an_earlier_message_is_checked() -> None:
    """Two messages in one datagram (as raw files hold them): the first defines a template
    with a variable-length field, the second's data runs past its set."""
    variable = template_set(600, [(ie.SRC_V4, 4), (ie.OCTET_DELTA, 4), (82, 65535)])
    bad_data = data_set(600, bytes([10, 0, 0, 4]) + struct.pack("!I", 10) + b"\x30abc")
    payload = ipfix(variable) + ipfix(bad_data, sequence=1)
    decoder = FlowDecoder()
    result = decoder.decode([Datagram(EXPORTER, payload, 0), good_datagram(2)], "v")
    assert [r.error.reason for r in result.rejected] == ["truncated"]
    assert result.flows.num_rows == 1
    assert decoder.templated["ipfix"].templates.get((EXPORTER, 1, 600)) is None
