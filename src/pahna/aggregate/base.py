"""The engine interface. An engine reads committed Parquet files, runs the shared kernel
(`kernel.flow_pieces`: attribution both ways, metering points, traffic class, 5-minute
bins) over them, and sums the pieces with the shared SQL (`queries.py`); the shared
decoding (`results.py`) turns the codes into ids. Settlement consumes the tables and
does not know which engine made them."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import pyarrow as pa

from pahna.aggregate.kernel import Rules
from pahna.aggregate.queries import LogQuery, UsageQuery
from pahna.aggregate.results import SettlementTables
from pahna.aggregate.signals import SignalRequest, SignalRules

__all__ = ["Engine", "LogQuery", "Rules", "SettlementTables", "SignalRequest", "SignalRules",
           "UsageQuery"]


class Engine(Protocol):
    name: str

    def usage(self, files: list[Path], query: UsageQuery, rules: Rules) -> pa.Table:
        """Usage summed over query.group_by, plus period, bytes, packets and flows."""
        ...

    def settlement(self, files: list[Path], query: UsageQuery, rules: Rules,
                   signals: SignalRequest | None = None) -> SettlementTables:
        """Usage per producer, class and bin, received bytes per producer and bin,
        distinct client networks and intra-province bytes (rules.provinces) per producer,
        in one pass over the files; with `signals`, integrity's sums too (as `signals`
        gives them; in the same pass where the engine can)."""
        ...

    def largest_flows(self, files: list[Path], window: tuple[int, int], rules: Rules,
                      producer_id: str, limit: int) -> pa.Table:
        """The `limit` largest flows (topflows.ORDER) counted for the producer that start
        in window [start, end)."""
        ...

    def file_digests(self, files: list[Path]) -> dict[Path, str | None]:
        """The sha256 of each file as the engine reads it (None: missing), for verify."""
        ...

    def signals(self, files: list[Path], query: UsageQuery, rules: SignalRules,
                min_repeats: int) -> dict[str, pa.Table]:
        """The integrity sums of `signals.signal_queries` over the query's bins, by name
        (each with the schema in signals.SIGNAL_SCHEMAS)."""
        ...

    def log_usage(self, files: list[Path], query: LogQuery, rules: Rules) -> pa.Table:
        """Web-log usage summed over query.group_by, plus period, bytes, requests (and
        client networks)."""
        ...
