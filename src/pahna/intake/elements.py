"""Information elements pahna reads, by their IANA IPFIX number (RFC 7012).

NetFlow v9 field types 1-127 share these numbers (RFC 3954 §8), so both decoders use
this one table. Elements not listed are skipped safely by length.
"""

from __future__ import annotations

from typing import Final

OCTET_DELTA: Final = 1
PACKET_DELTA: Final = 2
PROTOCOL: Final = 4
SRC_PORT: Final = 7
SRC_V4: Final = 8
INPUT_IF: Final = 10
DST_PORT: Final = 11
DST_V4: Final = 12
OUTPUT_IF: Final = 14
SRC_AS: Final = 16
DST_AS: Final = 17
END_SYSUPTIME: Final = 21
START_SYSUPTIME: Final = 22
POST_OCTET_DELTA: Final = 23
POST_PACKET_DELTA: Final = 24
SRC_V6: Final = 27
DST_V6: Final = 28
SAMPLING_INTERVAL: Final = 34
SAMPLER_ID: Final = 48
SAMPLER_RANDOM_INTERVAL: Final = 50
DIRECTION: Final = 61
OCTET_TOTAL: Final = 85
PACKET_TOTAL: Final = 86
START_SECONDS: Final = 150
END_SECONDS: Final = 151
START_MS: Final = 152
END_MS: Final = 153
START_US_NTP: Final = 154
END_US_NTP: Final = 155
START_NS_NTP: Final = 156
END_NS_NTP: Final = 157
START_DELTA_US: Final = 158
END_DELTA_US: Final = 159
SYSTEM_INIT_MS: Final = 160
SELECTOR_ID: Final = 302
SAMPLING_PACKET_INTERVAL: Final = 305
SAMPLING_PACKET_SPACE: Final = 306
SAMPLING_SIZE: Final = 309
SAMPLING_POPULATION: Final = 310

REVERSE_PEN: Final = 29305
"""RFC 5103: a reverse element is the forward element's number under this enterprise."""
REVERSE: Final = 1 << 16
"""pahna's own numbering of the reverse elements it reads: REVERSE | forward number."""
REVERSE_OCTET_DELTA: Final = REVERSE | OCTET_DELTA
REVERSE_PACKET_DELTA: Final = REVERSE | PACKET_DELTA
REVERSE_OCTET_TOTAL: Final = REVERSE | OCTET_TOTAL
REVERSE_PACKET_TOTAL: Final = REVERSE | PACKET_TOTAL
REVERSE_COUNTERS: Final = frozenset({REVERSE_OCTET_DELTA, REVERSE_PACKET_DELTA,
                                     REVERSE_OCTET_TOTAL, REVERSE_PACKET_TOTAL})

ADDRESS_ELEMENTS: Final = frozenset({SRC_V4, DST_V4, SRC_V6, DST_V6})
"""Elements kept as raw bytes (addresses); every other known element is an unsigned int."""

KNOWN: Final = frozenset(
    value for name, value in dict(globals()).items()
    if name.isupper() and isinstance(value, int) and name not in ("REVERSE_PEN", "REVERSE")
)
