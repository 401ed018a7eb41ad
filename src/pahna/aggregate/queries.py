"""Usage and settlement queries, described once and written as SQL that DuckDB and Spark
both run over the kernel's pieces (kernel.PIECES_SCHEMA, producers and classes as
integer codes); `results.py` decodes what they return."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from pahna.errors import EngineError
from pahna.schema import BIN_MS

GROUP_KEYS = ("producer_id", "traffic_class", "bin_start_ms")
MAX_FLOW_MS = 2**32
"""Flows starting this long before a period may still reach into it (see bins.py)."""

CODE_COLUMNS = {"producer_id": "producer", "traffic_class": "traffic_class",
                "bin_start_ms": "bin_start_ms"}
"""The pieces' column behind each usage key."""


@dataclass(frozen=True)
class UsageQuery:
    """Usage of pieces whose 5-minute bin starts in [start_ms, end_ms), summed over
    `group_by` (a subset of GROUP_KEYS), labelled `period`. With `client_bytes`,
    settlement also returns each producer's bytes per client network (client-centric
    allocation, settle.allocation)."""

    period: str
    start_ms: int
    end_ms: int
    group_by: tuple[str, ...] = ("producer_id",)
    client_bytes: bool = False

    def __post_init__(self) -> None:
        unknown = set(self.group_by) - set(GROUP_KEYS)
        if unknown:
            raise EngineError(f"cannot group usage by {sorted(unknown)}; allowed: {GROUP_KEYS}")


def _window(query: UsageQuery) -> str:
    return (f"bin_start_ms >= {int(query.start_ms)} AND bin_start_ms < {int(query.end_ms)}")


SCALED_BYTES = "bytes * GREATEST(sampling_rate, 1)"
SCALED_PACKETS = "packets * GREATEST(sampling_rate, 1)"


def usage_sql(query: UsageQuery, table: str) -> str:
    """SQL over a table of pieces: scaled sums per group, keys as codes (the unattributed
    remainder's producer is null; pieces metering points keep out are left out).

    Both engines run this text; bounds are inlined integers, so no parameter syntax is
    involved. Bytes and packets are scaled by the sampling rate (0 read as 1), in
    integers: every term is non-negative, so a product or a partial sum passes BIGINT
    only when the total does, and then both engines fail (DuckDB checks integer
    overflow; Spark runs in ANSI mode) rather than wrap. (Summing as DECIMAL(38,0) gave
    the same answers and made Spark about a third slower.) No ORDER BY: the decoded
    result is put in order (`results.usage_table`), which spares Spark a sort.
    """
    keys = [CODE_COLUMNS[key] for key in query.group_by]
    select_keys = "".join(
        "NULLIF(producer, -1) AS producer, " if key == "producer" else f"{key}, "
        for key in keys)
    group = f"GROUP BY {', '.join(keys)}" if keys else ""
    return (
        f"SELECT {select_keys}"
        f"CAST(SUM({SCALED_BYTES}) AS BIGINT) AS bytes, "
        f"CAST(SUM({SCALED_PACKETS}) AS BIGINT) AS packets, "
        "CAST(SUM(flows) AS BIGINT) AS flows "
        f"FROM {table} WHERE producer > -2 AND {_window(query)} {group}"
    )


def settlement_sql(query: UsageQuery, table: str) -> str:
    """SQL over a table of pieces: everything settlement sums, in one pass.

    Three grouping sets: (producer, traffic_class, bin) gives usage and intra-province
    bytes (receiver null); (receiver, bin) the received bytes (producer null); (producer,
    client) the distinct client networks, counted per producer by the outer query
    (traffic_class and bin null). Codes NOBODY and NOT_COUNTED appear as groups of their
    own; `results.settlement_tables` keeps what counts. With `query.client_bytes` the
    outer query keeps the client too: one row per (producer, client network) with its
    bytes, counted into client_networks by the decoding instead.
    """
    client = ", client" if query.client_bytes else ""
    inner = (
        "SELECT producer, receiver, traffic_class, bin_start_ms, client, "
        f"SUM({SCALED_BYTES}) AS bytes, SUM({SCALED_PACKETS}) AS packets, "
        "SUM(flows) AS flows, "
        f"SUM(CASE WHEN same_province THEN {SCALED_BYTES} ELSE 0 END) AS intra_bytes "
        f"FROM {table} WHERE {_window(query)} "
        "GROUP BY GROUPING SETS ((producer, traffic_class, bin_start_ms), "
        "(receiver, bin_start_ms), (producer, client))"
    )
    return (
        f"SELECT producer, receiver, traffic_class, bin_start_ms{client}, "
        "CAST(SUM(bytes) AS BIGINT) AS bytes, CAST(SUM(packets) AS BIGINT) AS packets, "
        "CAST(SUM(flows) AS BIGINT) AS flows, "
        "CAST(SUM(intra_bytes) AS BIGINT) AS intra_bytes, "
        "CAST(COUNT(client) AS BIGINT) AS client_networks "
        f"FROM ({inner}) AS cells GROUP BY producer, receiver, traffic_class, bin_start_ms"
        f"{client}"
    )


def scan_predicate(query: UsageQuery) -> str:
    """SQL condition on raw flows that may have pieces in the query's bins.

    Both engines filter the Parquet scan with this text (flows ending before the first
    bin, or starting after the last bin that starts in the window, hold no piece of it).
    """
    last_edge = -(-int(query.end_ms) // BIN_MS) * BIN_MS  # a flow there starts a later bin
    return (f"start_ms < {last_edge} AND end_ms >= {int(query.start_ms) - BIN_MS} "
            f"AND start_ms >= {int(query.start_ms) - MAX_FLOW_MS}")


def flows_predicate(window: tuple[int, int]) -> str:
    """SQL condition on raw flows starting in window [start, end) (explain's flows)."""
    return f"start_ms >= {int(window[0])} AND start_ms < {int(window[1])}"


CODE_TYPES = {"producer": pa.int32(), "receiver": pa.int32(), "traffic_class": pa.int32(),
              "bin_start_ms": pa.int64()}


def usage_codes_schema(query: UsageQuery) -> pa.Schema:
    """The Arrow schema of `usage_sql`'s result, the same whichever engine ran it."""
    return pa.schema([(CODE_COLUMNS[key], CODE_TYPES[CODE_COLUMNS[key]])
                      for key in query.group_by]
                     + [("bytes", pa.int64()), ("packets", pa.int64()), ("flows", pa.int64())])


SETTLEMENT_CODES_SCHEMA = pa.schema(
    [(name, CODE_TYPES[name]) for name in ("producer", "receiver", "traffic_class",
                                          "bin_start_ms")]
    + [(name, pa.int64()) for name in ("bytes", "packets", "flows", "intra_bytes",
                                       "client_networks")])
"""The Arrow schema of `settlement_sql`'s result."""


def settlement_codes_schema(query: UsageQuery) -> pa.Schema:
    """The Arrow schema of `settlement_sql(query)`'s result (with the client column
    when the query asks for client bytes)."""
    if not query.client_bytes:
        return SETTLEMENT_CODES_SCHEMA
    return SETTLEMENT_CODES_SCHEMA.insert(4, pa.field("client", pa.int64()))

_KEY_TYPES = {"producer_id": pa.string(), "traffic_class": pa.string(),
              "bin_start_ms": pa.int64()}


def usage_schema(query: UsageQuery) -> pa.Schema:
    """The Arrow schema of a decoded usage table (results.usage_table)."""
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
                  "client_net": pa.int64()}


def log_usage_schema(query: LogQuery) -> pa.Schema:
    """The Arrow schema of `log_usage_sql`'s result, whichever engine ran it."""
    extra = [("client_networks", pa.int64())] if query.clients else []
    return pa.schema([(key, _LOG_KEY_TYPES[key]) for key in query.group_by]
                     + [("period", pa.string()), ("bytes", pa.int64()),
                        ("requests", pa.int64()), *extra])
