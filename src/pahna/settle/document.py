"""A settlement as a JSON document, and the canonical bytes a final seal hashes.

The document holds plain values only (exact fractions as "n/d" strings), keys sorted,
no whitespace: recomputing the same inputs gives the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, fields
from fractions import Fraction
from typing import Any

from pahna.integrity.records import Exclusion, Hold
from pahna.settle.adjustments import Adjustment
from pahna.settle.balances import Carry
from pahna.settle.pricing import TariffLine
from pahna.settle.statements import Settlement, StatementLine


def _plain(value: Any) -> Any:
    if isinstance(value, Fraction):
        return f"{value.numerator}/{value.denominator}"
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def to_document(settlement: Settlement) -> dict[str, Any]:
    """The settlement as plain JSON. Integrity's parts (the month's signals, a line's
    exclusions and holds) appear only when there are some, so a month settled without
    an integrity policy has the same document as before integrity existed."""
    data: dict[str, Any] = _plain(asdict(settlement))
    data["total_minor"] = settlement.total_minor
    if data["integrity"] is None:
        del data["integrity"]
    for line, out in zip(settlement.lines, data["lines"], strict=True):
        for key in ("exclusions", "holds"):
            if not out[key]:
                del out[key]
        out["carried_minor"] = line.carried_minor
        out["balance_minor"] = line.balance_minor
        out["payable_minor"] = line.payable_minor
        out["carried_out_minor"] = line.carried_out_minor
        out["net_minor"] = line.net_minor
        out["coverage_ratio"] = line.coverage_ratio
        # under a tariff without [content], documents stay as they were (and sealed
        # finals replay to the same bytes)
        for key in ("pro_rata_minor", "client_centric_minor"):
            if out[key] is None:
                del out[key]
    if data["allocation"] is None:
        del data["allocation"]
    return data


def canonical_bytes(document: dict[str, Any]) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def settlement_digest(settlement: Settlement) -> str:
    return hashlib.sha256(canonical_bytes(to_document(settlement))).hexdigest()


def _line_from(data: dict[str, Any]) -> StatementLine:
    names = {f.name for f in fields(StatementLine)}
    values = {k: v for k, v in data.items() if k in names}
    values["ineligible_reasons"] = tuple(values["ineligible_reasons"])
    values["tariff_lines"] = tuple(
        TariffLine(**{**t, "exact_minor": Fraction(t["exact_minor"])})
        for t in values["tariff_lines"])
    values["adjustments"] = tuple(Adjustment(**a) for a in values["adjustments"])
    values["carried"] = tuple(Carry(**c) for c in values.get("carried", ()))
    values["exclusions"] = tuple(Exclusion(**e) for e in values.get("exclusions", ()))
    values["holds"] = tuple(Hold(**h) for h in values.get("holds", ()))
    return StatementLine(**values)


def from_document(data: dict[str, Any]) -> Settlement:
    """Rebuild a Settlement from its document (the inverse of to_document)."""
    names = {f.name for f in fields(Settlement)}
    values = {k: v for k, v in data.items() if k in names}
    values["lines"] = tuple(_line_from(line) for line in data["lines"])
    return Settlement(**values)
