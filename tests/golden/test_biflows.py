"""RFC 5103 biflows become two directional records, each direction's bytes and packets
attributed to the side that sent them: YAF's real biflows and a constructed one, against
tshark (which shows the reverse counters after the forward ones) and by value."""

from __future__ import annotations

import struct
from pathlib import Path

from pcap_writer import write_pcap
from test_captures_vs_tshark import ours, split_payload, vendor_groups
from tshark_oracle import flow_records

from pahna.intake import elements as ie
from pahna.intake.base import Datagram
from pahna.intake.dispatch import FlowDecoder
from pahna.schema import address_to_text

EXPORT_S = 1_760_000_000
PEN = 29305


def test_yaf_biflows_are_split_as_tshark_shows_them(shared_dir: Path, tmp_path: Path) -> None:
    files = vendor_groups(shared_dir / "captures/vendor-payloads")["ipfix_test_yaf"]
    payloads = [m for f in files for m in split_payload(f.read_bytes())]
    capture = write_pcap(tmp_path / "yaf.pcap", [(bytes([10, 1, 0, 1]), p) for p in payloads],
                         port=4739)
    expected, complete = flow_records(capture)
    got = ours([Datagram(bytes(10) + b"\xff\xff" + bytes([10, 1, 0, 1]), p, 0)
                for p in payloads])
    assert complete and sorted(got) == sorted(expected)
    assert (len(got), sum(r[5] for r in got), sum(r[6] for r in got)) == (4, 596, 10)


def biflow_message() -> bytes:
    fields = [(ie.SRC_V4, 4, 0), (ie.DST_V4, 4, 0), (ie.SRC_PORT, 2, 0), (ie.DST_PORT, 2, 0),
              (ie.PROTOCOL, 1, 0), (ie.OCTET_DELTA, 8, 0), (ie.PACKET_DELTA, 8, 0),
              (ie.OCTET_DELTA, 8, PEN), (ie.PACKET_DELTA, 8, PEN), (ie.INPUT_IF, 4, 0),
              (ie.OUTPUT_IF, 4, 0), (ie.DIRECTION, 1, 0), (ie.START_SECONDS, 4, 0),
              (ie.END_SECONDS, 4, 0)]
    specs = b"".join(struct.pack("!HH", e | 0x8000, n) + struct.pack("!I", p) if p
                     else struct.pack("!HH", e, n) for e, n, p in fields)
    template = struct.pack("!HH", 300, len(fields)) + specs
    client, server = bytes([10, 0, 0, 7]), bytes([192, 0, 2, 80])
    records = b"".join([
        client + server + struct.pack("!HHBQQQQIIBII", 51000, 443, 6, 900, 10, 250_000, 180,
                                      3, 5, 0, EXPORT_S - 30, EXPORT_S),
        client + server + struct.pack("!HHBQQQQIIBII", 51001, 53, 17, 70, 1, 0, 0, 3, 5, 0,
                                      EXPORT_S - 2, EXPORT_S),  # a uniflow in the template
    ])
    sets = (struct.pack("!HH", 2, 4 + len(template)) + template
            + struct.pack("!HH", 300, 4 + len(records)) + records)
    return struct.pack("!HHIII", 10, 16 + len(sets), EXPORT_S, 0, 1) + sets


def test_a_constructed_biflow_gives_each_direction_its_own_bytes(tmp_path: Path) -> None:
    message = biflow_message()
    flows = FlowDecoder().decode([Datagram(bytes(16), message, 0)], "b").flows.to_pylist()
    rows = sorted((address_to_text(f["src_addr"]), address_to_text(f["dst_addr"]),
                   f["src_port"], f["dst_port"], f["bytes"], f["packets"], f["input_if"],
                   f["output_if"], f["direction"], f["start_ms"]) for f in flows)
    assert rows == [
        ("10.0.0.7", "192.0.2.80", 51000, 443, 900, 10, 3, 5, 0, (EXPORT_S - 30) * 1000),
        ("10.0.0.7", "192.0.2.80", 51001, 53, 70, 1, 3, 5, 0, (EXPORT_S - 2) * 1000),
        ("192.0.2.80", "10.0.0.7", 443, 51000, 250_000, 180, 5, 3, 1,
         (EXPORT_S - 30) * 1000),
    ]
    capture = write_pcap(tmp_path / "biflow.pcap", [(bytes([10, 1, 0, 2]), message)],
                         port=4739)
    expected, complete = flow_records(capture)
    assert complete and sorted(ours([Datagram(bytes(16), message, 0)])) == sorted(expected)
