"""What a month is settled from, besides its raw flows: kept whole in every final.

    rules        the registry's attribution rules in force over the month's window
                 (claims, AS numbers, host names, metering points, domestic lists), as
                 `registry.rules.rules_snapshot` writes them
    producers    every producer record as it stood (status included)
    tariff       the whole tariff document in force
    costs        production and distribution costs per producer (minor units)
    adjustments  the adjustments the month carries
    carried      balances carried in from earlier finals (settle.balances)

A final records its basis and seals its digest, so `verify`, `explain` and the portal
replay a final month from exactly this, whatever the registry, tariffs, costs or
adjustments hold later.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from pahna.parties import Producer
from pahna.settle.adjustments import Adjustment
from pahna.settle.balances import Carry
from pahna.settle.tariffs import Tariff

BASIS_FORMAT = 1


@dataclass(frozen=True)
class Basis:
    rules: dict[str, Any]
    producers: tuple[Producer, ...]
    tariff: Tariff
    costs: dict[str, int] = field(default_factory=dict)
    adjustments: tuple[Adjustment, ...] = ()
    carried: dict[str, tuple[Carry, ...]] = field(default_factory=dict)

    def document(self) -> dict[str, Any]:
        """Plain JSON (what a final keeps under "basis")."""
        return {"format": BASIS_FORMAT, "rules": self.rules,
                "producers": [asdict(p) for p in self.producers],
                "tariff": self.tariff.document(),
                "costs": dict(sorted(self.costs.items())),
                "adjustments": [asdict(a) for a in self.adjustments],
                "carried": {pid: [asdict(c) for c in carries]
                            for pid, carries in sorted(self.carried.items())}}

    @property
    def digest(self) -> str:
        return basis_digest(self.document())

    @classmethod
    def from_document(cls, data: dict[str, Any]) -> Basis:
        return cls(data["rules"], tuple(Producer(**p) for p in data["producers"]),
                   Tariff.model_validate(data["tariff"]), dict(data["costs"]),
                   tuple(Adjustment(**a) for a in data["adjustments"]),
                   {pid: tuple(Carry(**c) for c in carries)
                    for pid, carries in data["carried"].items()})


def basis_digest(document: dict[str, Any]) -> str:
    """sha256 of a basis document's canonical JSON (sorted keys, no whitespace)."""
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
