"""The engine interface. An engine reads committed Parquet files, attributes each flow
with the shared NumPy kernel (:mod:`pahna.attribute`), and sums usage per producer for a
period. Settlement consumes the usage table and does not know which engine made it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pyarrow as pa

from pahna.attribute.claims import ClaimIndex


@dataclass(frozen=True)
class UsageQuery:
    """Flows starting in [start_ms, end_ms), labelled `period` in the output."""

    period: str
    start_ms: int
    end_ms: int


class Engine(Protocol):
    name: str

    def usage(self, files: list[Path], query: UsageQuery, claims: ClaimIndex) -> pa.Table:
        """Usage per producer (USAGE_SCHEMA); a null producer_id row is the unattributed."""
        ...
