"""Decode NetFlow v9 (RFC 3954) with the template engine shared with IPFIX.

What differs from IPFIX: a 20-byte header with sysUptime (record times are relative to
it), a sequence number that counts export packets rather than records, flowset ids 0
and 1 for templates and options templates, options templates sized in bytes with scope
fields of their own numbering, vendor field types >= 32768 with no enterprise number,
zero-length fields, and flowsets padded to four bytes (some exporters zero-fill whole
packets). The header's count means records to some exporters and flowsets to others, so
the only lie it can tell is being smaller than the number of flowsets: such a packet is
rejected, as tshark and Logstash reject it.
"""

from __future__ import annotations

import struct

from pahna.errors import DecodeError, TemplateError, TruncatedError, UnsupportedVersionError
from pahna.intake.base import Datagram
from pahna.intake.templated import OPTIONS_SET, TEMPLATE_SET, Message, TemplatedDecoder
from pahna.intake.templates import OPAQUE_ENTERPRISE, FieldSpec, Template, make_template
from pahna.intake.uniform import HeaderLayout

HEADER = struct.Struct("!HHIIII")
FLOWSET_HEADER = struct.Struct("!HH")
VERSION = 9
VENDOR_FIELD = 0x8000
SET_IDS = {0: TEMPLATE_SET, 1: OPTIONS_SET}
_SEEN: dict[bytes, Template] = {}
"""Template records already parsed, by their bytes: refreshes cost one lookup."""
MAX_SEEN = 16_384


def parse_message(datagram: Datagram) -> list[Message]:
    """Check the framing of one v9 export packet; no state is touched."""
    payload = datagram.payload
    if len(payload) < HEADER.size:
        raise TruncatedError(f"{len(payload)} bytes, less than a NetFlow v9 header")
    version, count, uptime, unix_s, sequence, source_id = HEADER.unpack_from(payload)
    if version != VERSION:
        raise UnsupportedVersionError(f"version {version} where NetFlow v9 was expected")
    sets, offset = [], HEADER.size
    while len(payload) - offset >= FLOWSET_HEADER.size:
        set_id, length = FLOWSET_HEADER.unpack_from(payload, offset)
        if length == 0 and not any(payload[offset:]):
            break  # zero-filled tail
        if length < FLOWSET_HEADER.size or offset + length > len(payload):
            raise TruncatedError(f"flowset {set_id} length {length} runs past the packet")
        if 2 <= set_id < 256:
            raise DecodeError(f"reserved flowset id {set_id}", reason="reserved_set_id")
        body = payload[offset + FLOWSET_HEADER.size : offset + length]
        sets.append((SET_IDS.get(set_id, set_id), body))
        offset += length
    if count < len(sets):
        raise DecodeError(f"header counts {count} records, the packet has {len(sets)} flowsets",
                          reason="count_mismatch")
    return [Message(datagram.exporter, source_id, unix_s * 1000, sequence, datagram.received_ms,
                    sets, uptime_ms=uptime)]


def parse_templates(body: bytes, options: bool) -> list[Template | int]:
    """Parse a template (flowset 0) or options template (flowset 1) body."""
    return _parse_options(body) if options else _parse_data_templates(body)


def _parse_data_templates(body: bytes) -> list[Template | int]:
    out: list[Template | int] = []
    offset = 0
    while len(body) - offset >= 4:
        template_id, count = struct.unpack_from("!HH", body, offset)
        offset += 4
        if template_id == 0 and count == 0 and not any(body[offset:]):
            break  # padding
        _check_id(template_id)
        if count == 0:
            raise TemplateError(f"template {template_id} has no fields")
        if len(body) - offset < 4 * count:
            raise TruncatedError(f"template {template_id} field list cut short")
        raw = body[offset - 4 : offset + 4 * count]
        offset += 4 * count
        template = _SEEN.get(raw)
        if template is None:
            specs = struct.unpack_from(f"!{2 * count}H", raw, 4)
            fields = tuple(_field(specs[i], specs[i + 1]) for i in range(0, len(specs), 2))
            template = make_template(template_id, fields)
            if len(_SEEN) >= MAX_SEEN:
                _SEEN.clear()
            _SEEN[raw] = template
        out.append(template)
    return out


def _parse_options(body: bytes) -> list[Template | int]:
    out: list[Template | int] = []
    offset = 0
    while len(body) - offset >= 6:
        template_id, scope_len, option_len = struct.unpack_from("!HHH", body, offset)
        offset += 6
        if template_id == 0 and not any(body[offset - 6 :]):
            break  # padding
        _check_id(template_id)
        if scope_len % 4 or option_len % 4 or scope_len == 0:
            raise TemplateError(f"options template {template_id}: scope {scope_len} bytes, "
                                f"options {option_len} bytes")
        if len(body) - offset < scope_len + option_len:
            raise TruncatedError(f"options template {template_id} cut short")
        specs = struct.unpack_from(f"!{(scope_len + option_len) // 2}H", body, offset)
        offset += scope_len + option_len
        scopes = scope_len // 4
        fields = tuple(
            FieldSpec(specs[i], specs[i + 1], OPAQUE_ENTERPRISE) if i // 2 < scopes
            else _field(specs[i], specs[i + 1])
            for i in range(0, len(specs), 2)
        )
        out.append(make_template(template_id, fields, scopes))
    return out


def _check_id(template_id: int) -> None:
    if template_id < 256:
        raise TemplateError(f"template id {template_id} is reserved (must be >= 256)")


def _field(element: int, length: int) -> FieldSpec:
    if element & VENDOR_FIELD:
        return FieldSpec(element, length, OPAQUE_ENTERPRISE)
    return FieldSpec(element, length)


class NetflowV9Decoder(TemplatedDecoder):
    """Stateful NetFlow v9 decoder (templates keyed by exporter + source id + id)."""

    sequence_per_record = False
    layout = HeaderLayout(size=20, framing=((0, 4),), export_s=8, sequence=12, domain=16,
                          uptime=4)

    def parse(self, datagram: Datagram) -> list[Message]:
        return parse_message(datagram)

    def parse_templates(self, body: bytes, options: bool) -> list[Template | int]:
        return parse_templates(body, options)

    def rebuild(self, message: Message, set_id: int, body: bytes) -> bytes:
        """The header counts one flowset (a count below the flowsets is refused)."""
        flowset = FLOWSET_HEADER.pack(set_id, len(body) + 4) + body
        return HEADER.pack(VERSION, 1, message.uptime_ms or 0, message.export_ms // 1000,
                           message.sequence, message.domain) + flowset
