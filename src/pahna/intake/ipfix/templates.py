"""IPFIX templates and the cache that holds them per exporter and observation domain."""

from __future__ import annotations

import struct
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from pahna.errors import TemplateError, TruncatedError
from pahna.intake.records import record_dtype

VARIABLE_LENGTH = 65535
MAX_TEMPLATES_PER_DOMAIN = 4096

TemplateKey = tuple[bytes, int, int]
"""(exporter address, observation domain id, template id)."""


@dataclass(frozen=True)
class FieldSpec:
    element: int
    length: int
    enterprise: int = 0


@dataclass(frozen=True, eq=False)
class Template:
    """A data or options template; identity (not value) tells one definition from the next."""

    template_id: int
    fields: tuple[FieldSpec, ...]
    scope_count: int = 0
    dtype: np.dtype = field(init=False)
    names: dict[int, str] = field(init=False)
    record_length: int | None = field(init=False)

    def __post_init__(self) -> None:
        fixed = [
            (f.element if f.enterprise == 0 else -1, f.length)
            for f in self.fields
            if f.length != VARIABLE_LENGTH
        ]
        dtype, names = record_dtype(fixed)
        variable = any(f.length == VARIABLE_LENGTH for f in self.fields)
        object.__setattr__(self, "dtype", dtype)
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "record_length", None if variable else dtype.itemsize)

    @property
    def min_record_length(self) -> int:
        return sum(1 if f.length == VARIABLE_LENGTH else f.length for f in self.fields)


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
        out.append(Template(template_id, tuple(fields), scope_count))
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


class TemplateCache:
    """Templates keyed by (exporter, observation domain, template id)."""

    def __init__(self) -> None:
        self._templates: dict[TemplateKey, Template] = {}
        self._per_domain: Counter[tuple[bytes, int]] = Counter()

    def get(self, key: TemplateKey) -> Template | None:
        return self._templates.get(key)

    def put(self, key: TemplateKey, template: Template) -> None:
        if key not in self._templates:
            if self._per_domain[key[:2]] >= MAX_TEMPLATES_PER_DOMAIN:
                raise TemplateError(f"more than {MAX_TEMPLATES_PER_DOMAIN} templates in one domain")
            self._per_domain[key[:2]] += 1
        self._templates[key] = template

    def withdraw(self, key: TemplateKey) -> None:
        if self._templates.pop(key, None) is not None:
            self._per_domain[key[:2]] -= 1

    def withdraw_domain(self, exporter: bytes, domain: int) -> None:
        for key in [k for k in self._templates if k[:2] == (exporter, domain)]:
            self.withdraw(key)

    def __len__(self) -> int:
        return len(self._templates)
