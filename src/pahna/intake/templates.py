"""Templates shared by IPFIX and NetFlow v9, and the cache that holds them.

Templates are keyed by exporter address + observation domain (v9: source id) + template
id, and the cache can be saved and loaded so a restarted collector decodes data at once
instead of waiting for the exporter's next template refresh.
"""

from __future__ import annotations

import struct
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pahna.errors import TemplateError, TruncatedError
from pahna.intake import elements as ie
from pahna.intake.records import record_dtype

VARIABLE_LENGTH = 65535
MAX_TEMPLATES_PER_DOMAIN = 4096
OPAQUE_ENTERPRISE = 0xFFFFFFFF
"""Marks a field that is never read by element number (NetFlow v9 option scopes)."""

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
            (_element_number(f), f.length) for f in self.fields
            if f.length not in (VARIABLE_LENGTH, 0)
        ]
        dtype, names = record_dtype(fixed)
        variable = any(f.length == VARIABLE_LENGTH for f in self.fields)
        object.__setattr__(self, "dtype", dtype)
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "record_length", None if variable else dtype.itemsize)

    @property
    def min_record_length(self) -> int:
        return sum(1 if f.length == VARIABLE_LENGTH else f.length for f in self.fields)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.template_id, "scope_count": self.scope_count,
                "fields": [[f.element, f.length, f.enterprise] for f in self.fields]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Template:
        fields = tuple(FieldSpec(int(e), int(n), int(p)) for e, n, p in data["fields"])
        return make_template(int(data["id"]), fields, int(data["scope_count"]))


def _element_number(spec: FieldSpec) -> int:
    """The number pahna reads a field by: IANA's, RFC 5103's reverse counters as
    REVERSE | forward number, -1 for any other enterprise's (skipped by length)."""
    if spec.enterprise == 0:
        return spec.element
    if spec.enterprise == ie.REVERSE_PEN and ie.REVERSE | spec.element in ie.REVERSE_COUNTERS:
        return ie.REVERSE | spec.element
    return -1


_INTERNED: dict[tuple[int, tuple[FieldSpec, ...], int], Template] = {}
MAX_INTERNED = 65_536


def make_template(template_id: int, fields: tuple[FieldSpec, ...], scope_count: int = 0
                  ) -> Template:
    """The Template for a definition, reusing the object of an identical earlier one:
    exporters resend their templates every few seconds, and building the record dtype
    each time would cost more than decoding the data it describes."""
    key = (template_id, fields, scope_count)
    template = _INTERNED.get(key)
    if template is None:
        if len(_INTERNED) >= MAX_INTERNED:
            _INTERNED.clear()
        template = _INTERNED[key] = Template(template_id, fields, scope_count)
    return template


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

    def accepts(self, key: TemplateKey) -> bool:
        """Whether :meth:`put` would keep a template under this key."""
        return key in self._templates or self._per_domain[key[:2]] < MAX_TEMPLATES_PER_DOMAIN

    def keys_of(self, exporter: bytes, domain: int) -> list[TemplateKey]:
        return [k for k in self._templates if k[:2] == (exporter, domain)]

    def withdraw(self, key: TemplateKey) -> None:
        if self._templates.pop(key, None) is not None:
            self._per_domain[key[:2]] -= 1

    def withdraw_domain(self, exporter: bytes, domain: int) -> None:
        for key in [k for k in self._templates if k[:2] == (exporter, domain)]:
            self.withdraw(key)

    def __len__(self) -> int:
        return len(self._templates)

    def to_list(self) -> list[dict[str, Any]]:
        """A JSON-ready list of every template with its key."""
        return [{"exporter": key[0].hex(), "domain": key[1], **template.to_dict()}
                for key, template in sorted(self._templates.items())]

    def load_list(self, items: list[dict[str, Any]]) -> None:
        """Restore templates saved by :meth:`to_list` (on top of what is held)."""
        for item in items:
            template = Template.from_dict(item)
            self.put((bytes.fromhex(item["exporter"]), int(item["domain"]), template.template_id),
                     template)


def normalize_variable(template: Template, body: bytes) -> tuple[bytes, int]:
    """Walk records with variable-length fields; keep the fixed fields in dtype layout.

    A record cut short is an error unless all that is left is zero padding.
    """
    out = bytearray()
    offset, count = 0, 0
    while len(body) - offset >= max(template.min_record_length, 1):
        try:
            record, offset_after = _one_record(template, body, offset)
        except TruncatedError:
            if not any(body[offset:]):
                break
            raise
        out += record
        offset = offset_after
        count += 1
    return bytes(out), count


def _one_record(template: Template, body: bytes, offset: int) -> tuple[bytes, int]:
    out = bytearray()
    for spec in template.fields:
        length = spec.length
        if length == VARIABLE_LENGTH:
            length, offset = _variable_length(body, offset)
            offset += length
            continue
        if offset + length > len(body):
            raise TruncatedError("record cut short")
        out += body[offset : offset + length]
        offset += length
    return bytes(out), offset


def _variable_length(body: bytes, offset: int) -> tuple[int, int]:
    if offset >= len(body):
        raise TruncatedError("variable-length field cut short")
    length = body[offset]
    offset += 1
    if length == 255:
        if len(body) - offset < 2:
            raise TruncatedError("variable-length field cut short")
        (length,) = struct.unpack_from("!H", body, offset)
        offset += 2
    if offset + length > len(body):
        raise TruncatedError("variable-length field runs past its set")
    return length, offset
