"""Arrow schemas: the contract between pahna's stages.

Addresses, IPv4 and IPv6 alike, are 16-byte big-endian values; IPv4 is stored
IPv4-mapped (``::ffff:a.b.c.d``, RFC 4291 §2.5.5.2) so one column and one ordering
serve both families. Times are UTC epoch milliseconds. Counters are the raw values the
exporter sent; ``sampling_rate`` (1 = unsampled) is applied when aggregating, never in
place.
"""

from __future__ import annotations

import ipaddress

import pyarrow as pa

ADDRESS = pa.binary(16)
IPV4_MAPPED_PREFIX = b"\x00" * 10 + b"\xff\xff"

FLOW_SCHEMA = pa.schema(
    [
        pa.field("exporter", ADDRESS, nullable=False),
        pa.field("observation_domain", pa.uint32(), nullable=False),
        pa.field("src_addr", ADDRESS, nullable=False),
        pa.field("dst_addr", ADDRESS, nullable=False),
        pa.field("src_port", pa.uint16(), nullable=False),
        pa.field("dst_port", pa.uint16(), nullable=False),
        pa.field("protocol", pa.uint8(), nullable=False),
        pa.field("bytes", pa.uint64(), nullable=False),
        pa.field("packets", pa.uint64(), nullable=False),
        pa.field("start_ms", pa.int64(), nullable=False),
        pa.field("end_ms", pa.int64(), nullable=False),
        pa.field("sampling_rate", pa.uint32(), nullable=False),
        pa.field("input_if", pa.uint32(), nullable=False),
        pa.field("output_if", pa.uint32(), nullable=False),
        pa.field("direction", pa.uint8(), nullable=False),
        pa.field("src_as", pa.uint32(), nullable=False),
        pa.field("dst_as", pa.uint32(), nullable=False),
        pa.field("batch_id", pa.string(), nullable=False),
    ]
)
"""One row per flow record, as the exporter reported it.

``direction`` is IPFIX flowDirection (0 ingress, 1 egress, 255 unknown).
``src_as``/``dst_as`` are 0 when the exporter did not send them.
"""

FLOW_COLUMNS: tuple[str, ...] = tuple(FLOW_SCHEMA.names)

TIERS = ("edge", "origin", "shield")
"""Where a web log was written: at the edge that served the client (the only bytes
that count), at the origin, or at a CDN's shield layer (kept, never paid)."""
CACHE_STATUSES = ("hit", "miss", "other")

LOG_SCHEMA = pa.schema(
    [
        pa.field("time_ms", pa.int64(), nullable=False),
        pa.field("client_addr", ADDRESS, nullable=False),
        pa.field("host", pa.string(), nullable=False),
        pa.field("path", pa.string(), nullable=False),
        pa.field("status", pa.uint16(), nullable=False),
        pa.field("bytes", pa.uint64(), nullable=False),
        pa.field("body_bytes", pa.uint64(), nullable=True),
        pa.field("range_request", pa.bool_(), nullable=False),
        pa.field("cache", pa.string(), nullable=True),
        pa.field("user_agent", pa.string(), nullable=False),
        pa.field("tier", pa.string(), nullable=False),
        pa.field("operator", pa.string(), nullable=False),
        pa.field("bytes_field", pa.string(), nullable=False),
        pa.field("line", pa.int64(), nullable=False),
        pa.field("batch_id", pa.string(), nullable=False),
    ]
)
"""One row per request an access log recorded (docs/weblogs.md has the whole story).

``time_ms`` is UTC epoch ms; ``client_addr`` the client (16 bytes, as in flows; from
X-Forwarded-For only behind a declared proxy); ``host`` and ``path`` in the canonical
forms of :mod:`pahna.webnames`; ``bytes`` what was sent to the client, read from the
field ``bytes_field`` names (``nginx $body_bytes_sent``); ``body_bytes`` the body alone
when the log says it; ``cache`` hit, miss, other, or null when not logged; ``tier``
edge, origin or shield; ``operator`` the registered CDN or hosting operator whose edge
wrote the log (empty: none); ``line`` the line of the log file; ``batch_id`` the stored
log it came from.
"""

BIN_MS = 300_000
"""Usage is counted in 5-minute bins aligned on UTC epoch multiples of this."""

DOMESTIC, INTERNATIONAL, UNKNOWN = "domestic", "international", "unknown"
TRAFFIC_CLASSES: tuple[str, ...] = (DOMESTIC, INTERNATIONAL, UNKNOWN)
"""Traffic classes of a destination, in this order everywhere (class index = position):
domestic (inside the domestic address list in force at the flow's time), international
(outside it), unknown (no list in force then)."""

USAGE_COLUMNS = ("period", "bytes", "packets", "flows")
"""Usage tables (what aggregation hands to settlement) hold the query's group keys
(producer_id: null for the unattributed remainder; traffic_class; bin_start_ms) and
these: the Jalali period label, sampling-scaled bytes and packets, and flow records."""


def address_to_bytes(text: str) -> bytes:
    """Return the 16-byte form of an IPv4 or IPv6 address (IPv4 is IPv4-mapped)."""
    addr = ipaddress.ip_address(text)
    if addr.version == 4:
        return IPV4_MAPPED_PREFIX + addr.packed
    return addr.packed


def address_to_text(raw: bytes) -> str:
    """Return the readable form of a 16-byte address (dotted quad for IPv4-mapped)."""
    if raw[:12] == IPV4_MAPPED_PREFIX:
        return str(ipaddress.IPv4Address(raw[12:]))
    return str(ipaddress.IPv6Address(raw))


def empty_flows() -> pa.Table:
    """An empty flow table with the contract's schema."""
    return FLOW_SCHEMA.empty_table()
