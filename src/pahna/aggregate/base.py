"""The engine interface. An engine reads committed Parquet files, runs the shared kernel
(`kernel.usage_rows`: attribution, traffic class, 5-minute bins) over them, and sums the
rows with the shared SQL (`queries.usage_sql`). Settlement consumes the usage table and
does not know which engine made it."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import pyarrow as pa

from pahna.aggregate.kernel import Rules
from pahna.aggregate.queries import LogQuery, UsageQuery

__all__ = ["Engine", "LogQuery", "Rules", "UsageQuery"]


class Engine(Protocol):
    name: str

    def usage(self, files: list[Path], query: UsageQuery, rules: Rules) -> pa.Table:
        """Usage summed over query.group_by, plus period, bytes, packets and flows."""
        ...

    def log_usage(self, files: list[Path], query: LogQuery, rules: Rules) -> pa.Table:
        """Web-log usage summed over query.group_by, plus period, bytes, requests (and
        client networks)."""
        ...
