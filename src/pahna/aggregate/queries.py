"""Usage queries, described once and written as SQL that DuckDB and Spark both run."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from pahna.errors import EngineError
from pahna.schema import BIN_MS

GROUP_KEYS = ("producer_id", "traffic_class", "bin_start_ms")
MAX_FLOW_MS = 2**32
"""Flows starting this long before a period may still reach into it (see bins.py)."""


@dataclass(frozen=True)
class UsageQuery:
    """Usage of pieces whose 5-minute bin starts in [start_ms, end_ms), summed over
    `group_by` (a subset of GROUP_KEYS), labelled `period`."""

    period: str
    start_ms: int
    end_ms: int
    group_by: tuple[str, ...] = ("producer_id",)

    def __post_init__(self) -> None:
        unknown = set(self.group_by) - set(GROUP_KEYS)
        if unknown:
            raise EngineError(f"cannot group usage by {sorted(unknown)}; allowed: {GROUP_KEYS}")


def usage_sql(query: UsageQuery, table: str) -> str:
    """SQL over a table of kernel rows (kernel.ROWS_SCHEMA): scaled sums per group.

    Both engines run this text; bounds are inlined integers, so no parameter syntax is
    involved. Bytes and packets are scaled by the sampling rate (0 read as 1), in
    integers: every term is non-negative, so a product or a partial sum passes BIGINT
    only when the total does, and then both engines fail (DuckDB checks integer
    overflow; Spark runs in ANSI mode) rather than wrap. (Summing as DECIMAL(38,0) gave
    the same answers and made Spark about a third slower.)
    """
    keys = ", ".join(query.group_by)
    select_keys = f"{keys}, " if keys else ""
    order = ", ".join(f"{key} NULLS LAST" for key in query.group_by)
    group = f"GROUP BY {keys} ORDER BY {order}" if keys else ""
    return (
        f"SELECT {select_keys}'{query.period}' AS period, "
        "CAST(SUM(bytes * GREATEST(sampling_rate, 1)) AS BIGINT) AS bytes, "
        "CAST(SUM(packets * GREATEST(sampling_rate, 1)) AS BIGINT) "
        "AS packets, "
        "CAST(SUM(flows) AS BIGINT) AS flows "
        f"FROM {table} "
        f"WHERE bin_start_ms >= {int(query.start_ms)} AND bin_start_ms < {int(query.end_ms)} "
        f"{group}"
    )


def scan_predicate(query: UsageQuery) -> str:
    """SQL condition on raw flows that may have pieces in the query's bins.

    Both engines filter the Parquet scan with this text (flows ending before the first
    bin, or starting after the last bin that starts in the window, hold no piece of it).
    """
    last_edge = -(-int(query.end_ms) // BIN_MS) * BIN_MS  # a flow there starts a later bin
    return (f"start_ms < {last_edge} AND end_ms >= {int(query.start_ms) - BIN_MS} "
            f"AND start_ms >= {int(query.start_ms) - MAX_FLOW_MS}")


_KEY_TYPES = {"producer_id": pa.string(), "traffic_class": pa.string(),
              "bin_start_ms": pa.int64()}


def usage_schema(query: UsageQuery) -> pa.Schema:
    """The Arrow schema of `usage_sql`'s result, the same whichever engine ran it."""
    return pa.schema([(key, _KEY_TYPES[key]) for key in query.group_by]
                     + [("period", pa.string()), ("bytes", pa.int64()),
                        ("packets", pa.int64()), ("flows", pa.int64())])


LOG_GROUP_KEYS = ("producer_id", "content_id", "operator", "tier", "excluded",
                  "traffic_class", "bin_start_ms", "client_net")


@dataclass(frozen=True)
class LogQuery:
    """Requests of web logs whose bin starts in [start_ms, end_ms), summed over
    `group_by` (a subset of LOG_GROUP_KEYS): bytes, requests, and with `clients` the
    distinct client networks. `counted` keeps only what counts (edge, not automated)."""

    period: str
    start_ms: int
    end_ms: int
    group_by: tuple[str, ...] = ("producer_id",)
    counted: bool = True
    clients: bool = False

    def __post_init__(self) -> None:
        unknown = set(self.group_by) - set(LOG_GROUP_KEYS)
        if unknown:
            raise EngineError(f"cannot group log usage by {sorted(unknown)}; allowed: "
                              f"{LOG_GROUP_KEYS}")


def log_usage_sql(query: LogQuery, table: str) -> str:
    """SQL over a table of log kernel rows (kernel.LOG_ROWS_SCHEMA), run by both engines."""
    keys = ", ".join(query.group_by)
    select_keys = f"{keys}, " if keys else ""
    order = ", ".join(f"{key} NULLS LAST" for key in query.group_by)
    group = f"GROUP BY {keys} ORDER BY {order}" if keys else ""
    counted = " AND tier = 'edge' AND excluded IS NULL" if query.counted else ""
    clients = (", CAST(COUNT(DISTINCT client_net) AS BIGINT) AS client_networks"
               if query.clients else "")
    return (
        f"SELECT {select_keys}'{query.period}' AS period, "
        "CAST(SUM(bytes) AS BIGINT) AS bytes, CAST(SUM(requests) AS BIGINT) AS requests"
        f"{clients} FROM {table} "
        f"WHERE bin_start_ms >= {int(query.start_ms)} AND bin_start_ms < {int(query.end_ms)}"
        f"{counted} {group}"
    )


def log_scan_predicate(query: LogQuery) -> str:
    """SQL condition on stored log records that may fall in the query's bins."""
    return f"time_ms >= {int(query.start_ms)} AND time_ms < {int(query.end_ms)}"


_LOG_KEY_TYPES = {"producer_id": pa.string(), "content_id": pa.string(),
                  "operator": pa.string(), "tier": pa.string(), "excluded": pa.string(),
                  "traffic_class": pa.string(), "bin_start_ms": pa.int64(),
                  "client_net": pa.binary()}


def log_usage_schema(query: LogQuery) -> pa.Schema:
    """The Arrow schema of `log_usage_sql`'s result, whichever engine ran it."""
    extra = [("client_networks", pa.int64())] if query.clients else []
    return pa.schema([(key, _LOG_KEY_TYPES[key]) for key in query.group_by]
                     + [("period", pa.string()), ("bytes", pa.int64()),
                        ("requests", pa.int64()), *extra])
