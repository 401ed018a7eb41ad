"""RFC 5103 biflows: one record, two directions, each direction its own flow record.

A biflow record carries the forward direction's counters in the usual elements and the
reverse direction's in the reverse elements (enterprise 29305, the same element numbers:
reverseOctetDeltaCount, reversePacketDeltaCount, and the Total counts). The forward
record is the record as read; the reverse record has source and destination addresses,
ports, AS numbers and interfaces swapped, flowDirection turned (ingress <-> egress,
unknown stays unknown), the reverse counters as its bytes and packets, and everything
else (times, exporter, protocol, sampling) the same. A reverse direction with neither
bytes nor packets (a uniflow sent in a biflow template) gives no record. So every byte
is attributed to the side that sent it.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pahna.intake import elements as ie
from pahna.intake.records import uint_column
from pahna.schema import FLOW_SCHEMA

SWAPPED = {"src_addr": "dst_addr", "dst_addr": "src_addr", "src_port": "dst_port",
           "dst_port": "src_port", "src_as": "dst_as", "dst_as": "src_as",
           "input_if": "output_if", "output_if": "input_if"}


def has_reverse(names: dict[int, str]) -> bool:
    return not ie.REVERSE_COUNTERS.isdisjoint(names)


def reverse_flows(records: np.ndarray, names: dict[int, str], forward: pa.Table
                  ) -> tuple[pa.Table, np.ndarray]:
    """The reverse direction's flow records, and the mask of forward rows they come from."""
    n = len(records)
    octets = _counter(records, names, ie.REVERSE_OCTET_DELTA, ie.REVERSE_OCTET_TOTAL, n)
    packets = _counter(records, names, ie.REVERSE_PACKET_DELTA, ie.REVERSE_PACKET_TOTAL, n)
    mask = (octets > 0) | (packets > 0)
    chosen = forward.filter(pa.array(mask))
    columns = {name: chosen.column(SWAPPED.get(name, name)) for name in FLOW_SCHEMA.names}
    columns["bytes"] = pa.array(octets[mask], pa.uint64())
    columns["packets"] = pa.array(packets[mask], pa.uint64())
    direction = chosen.column("direction")
    columns["direction"] = pc.if_else(pc.equal(direction, 255), direction,
                                      pc.subtract(1, pc.min_element_wise(direction, 1)))
    columns["direction"] = columns["direction"].cast(pa.uint8())
    return pa.Table.from_pydict(columns, schema=FLOW_SCHEMA), mask


def _counter(records: np.ndarray, names: dict[int, str], delta: int, total: int,
             n: int) -> np.ndarray:
    element = delta if delta in names else total if total in names else None
    return uint_column(records, names.get(element) if element else None, n)
