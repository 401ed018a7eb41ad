"""IPFIX template sets (RFC 7011 §3.4): data and options templates, withdrawals."""

from __future__ import annotations

import struct

from pahna.errors import TemplateError, TruncatedError
from pahna.intake.templates import FieldSpec, Template, make_template


def parse_template_records(body: bytes, options: bool) -> list[Template | int]:
    """Parse a template (set 2) or options template (set 3) set body.

    Returns templates, and bare template ids for withdrawals (field count 0).
    """
    out: list[Template | int] = []
    offset, end = 0, len(body)
    while end - offset >= 4:
        template_id, field_count = struct.unpack_from("!HH", body, offset)
        offset += 4
        if field_count == 0:
            out.append(template_id)
            continue
        scope_count = 0
        if options:
            if end - offset < 2:
                raise TruncatedError("options template header cut short")
            (scope_count,) = struct.unpack_from("!H", body, offset)
            offset += 2
            if scope_count == 0 or scope_count > field_count:
                raise TemplateError(f"options template {template_id}: scope count {scope_count}")
        if template_id < 256:
            raise TemplateError(f"template id {template_id} is reserved (must be >= 256)")
        fields, offset = _parse_fields(body, offset, field_count)
        out.append(make_template(template_id, tuple(fields), scope_count))
    return out


def _parse_fields(body: bytes, offset: int, count: int) -> tuple[list[FieldSpec], int]:
    fields: list[FieldSpec] = []
    for _ in range(count):
        if len(body) - offset < 4:
            raise TruncatedError("template field specifiers cut short")
        element, length = struct.unpack_from("!HH", body, offset)
        offset += 4
        enterprise = 0
        if element & 0x8000:
            if len(body) - offset < 4:
                raise TruncatedError("enterprise number cut short")
            (enterprise,) = struct.unpack_from("!I", body, offset)
            offset += 4
            element &= 0x7FFF
        if length == 0:
            raise TemplateError(f"element {element} has length 0")
        fields.append(FieldSpec(element, length, enterprise))
    return fields, offset
