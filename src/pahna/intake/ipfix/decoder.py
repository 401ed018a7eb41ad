"""Decode IPFIX messages (RFC 7011) into flow tables, a whole batch at a time.

The batch engine is :class:`pahna.intake.templated.TemplatedDecoder`; this module says
how IPFIX frames its messages and template sets.
"""

from __future__ import annotations

import struct

from pahna.errors import DecodeError, TruncatedError, UnsupportedVersionError
from pahna.intake.base import Datagram
from pahna.intake.ipfix.templates import parse_template_records
from pahna.intake.templated import Message, TemplatedDecoder
from pahna.intake.templates import Template
from pahna.intake.uniform import HeaderLayout

HEADER = struct.Struct("!HHIII")
SET_HEADER = struct.Struct("!HH")
VERSION = 10


def split_messages(payload: bytes) -> list[bytes]:
    """Split back-to-back IPFIX messages (as in a raw datagram file) by their length."""
    out, offset = [], 0
    while offset < len(payload):
        if len(payload) - offset < HEADER.size:
            raise TruncatedError(f"{len(payload) - offset} bytes left, less than a header")
        version, length = struct.unpack_from("!HH", payload, offset)
        if version != VERSION:
            raise UnsupportedVersionError(f"version {version} where IPFIX (10) was expected")
        if length < HEADER.size or offset + length > len(payload):
            raise TruncatedError(f"message length {length} runs past the data")
        out.append(payload[offset : offset + length])
        offset += length
    return out


def parse_message(datagram: Datagram) -> list[Message]:
    """Check the framing of every message and set in a datagram; no state is touched."""
    messages = []
    for raw in split_messages(datagram.payload):
        _, length, export_s, sequence, domain = HEADER.unpack_from(raw)
        sets, offset = [], HEADER.size
        while offset < length:
            if length - offset < SET_HEADER.size:
                raise TruncatedError("set header cut short")
            set_id, set_length = SET_HEADER.unpack_from(raw, offset)
            if set_length < SET_HEADER.size or offset + set_length > length:
                raise TruncatedError(f"set {set_id} length {set_length} runs past the message")
            if set_id in (0, 1) or 4 <= set_id < 256:
                raise DecodeError(f"reserved set id {set_id}", reason="reserved_set_id")
            sets.append((set_id, raw[offset + SET_HEADER.size : offset + set_length]))
            offset += set_length
        messages.append(Message(datagram.exporter, domain, export_s * 1000, sequence,
                                datagram.received_ms, sets))
    return messages


class IpfixDecoder(TemplatedDecoder):
    """Stateful IPFIX decoder: templates and sampling rates persist across calls."""

    sequence_per_record = True
    layout = HeaderLayout(size=16, framing=((0, 4),), export_s=4, sequence=8, domain=12,
                          uptime=None)

    def parse(self, datagram: Datagram) -> list[Message]:
        return parse_message(datagram)

    def parse_templates(self, body: bytes, options: bool) -> list[Template | int]:
        return parse_template_records(body, options)

    def rebuild(self, message: Message, set_id: int, body: bytes) -> bytes:
        sets = SET_HEADER.pack(set_id, len(body) + SET_HEADER.size) + body
        return HEADER.pack(VERSION, HEADER.size + len(sets), message.export_ms // 1000,
                           message.sequence, message.domain) + sets
