"""A batch of log lines -> records of the log schema, and the lines rejected with a reason.

Everything runs over whole columns (polars expressions on Arrow memory): one regular
expression pass splits every line into its fields (or one JSON path per field), then each
column is converted at once. A line is rejected, with the first reason that applies, when
it does not fit the format (`no_match`), or its time, client address, status or byte
count cannot be read (`bad_time`, `bad_client`, `bad_status`, `bad_bytes`). Blank lines
and directives (W3C's `#` lines) are counted, not rejected.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl
import pyarrow as pa

from pahna.intake.weblog import values
from pahna.intake.weblog.clients import TrustedProxies, parse_addresses
from pahna.intake.weblog.fields import LogFormat
from pahna.intake.weblog.lines import LineBatch
from pahna.schema import ADDRESS, LOG_SCHEMA

REASONS = ("no_match", "bad_time", "bad_client", "bad_status", "bad_bytes", "too_long")


@dataclass(frozen=True)
class ScanOptions:
    """What the operator says about a log besides its format."""

    tier: str = "edge"
    operator: str = ""
    host: str = ""  # for logs whose lines do not name their host
    timezone: str = ""  # for formats whose times have no offset
    proxies: TrustedProxies = field(default_factory=lambda: TrustedProxies([]))


@dataclass
class Scanned:
    records: pa.Table
    rejected: list[tuple[int, str, str]]  # (line number, reason, text)
    blank: int = 0
    directives: int = 0
    lossy_utf8: int = 0


def decode_lines(batch: LineBatch) -> tuple[pl.Series, int]:
    """The lines as text; a line that is not UTF-8 is read with U+FFFD for what is not
    (and counted), so its record is kept."""
    raw = pl.from_arrow(batch.lines)
    assert isinstance(raw, pl.Series)
    try:
        return raw.cast(pl.String), 0
    except pl.exceptions.InvalidOperationError:
        texts = [v.decode("utf-8", "replace") for v in batch.lines.to_pylist()]
        lossy = sum(1 for v, t in zip(batch.lines.to_pylist(), texts, strict=True)
                    if "\ufffd" in t and v.decode("utf-8", "ignore") != t)
        return pl.Series("line", texts, pl.String), lossy


def _fields(lines: pl.DataFrame, fmt: LogFormat) -> pl.DataFrame:
    """Raw text of every field (columns f0..), and `ok` (false where the line did not fit)."""
    if fmt.is_json:
        columns = [pl.col("line").str.json_path_match(_json_path(key)).alias(f"f{i}")
                   for i, key in enumerate(fmt.keys)]
        frame = lines.select("n", "line", *columns)
        found = pl.any_horizontal([pl.col(f"f{i}").is_not_null() for i in range(len(fmt.keys))])
        return frame.with_columns(found.alias("ok") if fmt.keys else pl.lit(False).alias("ok"))
    pattern = "^(?P<ok>)" + fmt.pattern + r"\r?\n?$"
    split = lines.select("n", "line", pl.col("line").str.extract_groups(pattern).alias("m"))
    return split.unnest("m").with_columns(pl.col("ok").is_not_null())


def _json_path(key: tuple[str, ...]) -> str:
    return "$" + "".join("['" + part.replace("\\", "\\\\").replace("'", "\\'") + "']"
                         for part in key)


def _role(fmt: LogFormat, role: str) -> pl.Expr | None:
    """The first non-empty field of a role (in line order), as text."""
    found = [pl.col(f"f{i}") for i, f in enumerate(fmt.fields) if f.role == role]
    if not found:
        return None
    return found[0] if len(found) == 1 else pl.coalesce(
        [pl.when(c.is_in(["", "-"])).then(None).otherwise(c) for c in found] + [found[0]])


def _text(fmt: LogFormat, role: str, default: str | None = None) -> pl.Expr:
    found = _role(fmt, role)
    return pl.lit(default, pl.String) if found is None else found


def _time(fmt: LogFormat) -> pl.Expr:
    timed = next((f for f in fmt.fields if f.role == "time"), None)
    if timed is None:
        return pl.lit(None, pl.Int64)
    text = pl.col(f"f{fmt.fields.index(timed)}")
    return values.time_ms(text, timed.kind, fmt.time_pattern, _role(fmt, "date"))


def _where(frame: pl.DataFrame, fmt: LogFormat, options: ScanOptions
           ) -> tuple[pl.Series, pl.Series]:
    """(host, path) of every row: the Host field, else the host of an absolute URL, else
    the operator's --host; the path field, else the path of the request target."""
    target = _value(frame, fmt, "target")
    request = _value(frame, fmt, "request")
    if request is not None:
        from_request = values.targets_of_requests(request)
        target = from_request if target is None else target.fill_null(from_request)
    path, url_host = values.split_targets(target if target is not None
                                          else pl.Series([None] * len(frame), dtype=pl.String))
    given = _value(frame, fmt, "path")
    if given is not None:
        path = given.fill_null("")
    host = _value(frame, fmt, "host")
    hosts = values.hosts(host) if host is not None else pl.Series([""] * len(frame))
    for fallback in (url_host, pl.Series([options.host] * len(frame))):
        if fallback is not None:
            hosts = pl.select(pl.when(hosts == "").then(fallback).otherwise(hosts)).to_series()
    return hosts.alias("host"), values.unescape_path(path, fmt.escape).alias("path")


def _value(frame: pl.DataFrame, fmt: LogFormat, role: str) -> pl.Series | None:
    expr = _role(fmt, role)
    return None if expr is None else frame.select(expr).to_series()


def _columns(fmt: LogFormat, options: ScanOptions) -> list[pl.Expr]:
    """Typed columns (still with nulls where a value could not be read)."""
    counted = fmt.bytes_field
    body = _role(fmt, "body_bytes")
    status = values.status(_text(fmt, "status"))
    ranged = _role(fmt, "range")
    cache = _role(fmt, "cache")
    edge = _role(fmt, "edge")
    return [
        _time(fmt).alias("time_ms"),
        _text(fmt, "client").alias("client"),
        _text(fmt, "forwarded_for").alias("forwarded"),
        status.alias("status"),
        (values.count(pl.col(f"f{fmt.fields.index(counted)}")) if counted
         else pl.lit(None, pl.UInt64)).alias("bytes"),
        (values.count(body) if body is not None else pl.lit(None, pl.UInt64)).alias("body_bytes"),
        ((~ranged.is_in(["", "-"])).fill_null(False) if ranged is not None
         else status == 206).fill_null(False).alias("range_request"),
        (values.cache_status(cache) if cache is not None else pl.lit(None, pl.String)
         ).alias("cache"),
        _text(fmt, "user_agent", "").alias("user_agent"),
        (pl.lit(options.tier) if edge is None else pl.when(edge.str.to_lowercase() == "false")
         .then(pl.lit("shield")).otherwise(pl.lit(options.tier))).alias("tier"),
    ]


def _reasons() -> pl.Expr:
    return (pl.when(~pl.col("ok")).then(pl.lit("no_match"))
            .when(pl.col("time_ms").is_null()).then(pl.lit("bad_time"))
            .when(~pl.col("client_ok")).then(pl.lit("bad_client"))
            .when(pl.col("status").is_null()).then(pl.lit("bad_status"))
            .when(pl.col("bytes").is_null()).then(pl.lit("bad_bytes")))


def scan_batch(batch: LineBatch, fmt: LogFormat, options: ScanOptions, batch_id: str
               ) -> Scanned:
    """Records and rejections of one batch of lines in one format."""
    text, lossy = decode_lines(batch)
    numbers = np.arange(batch.first_line, batch.first_line + len(text), dtype=np.int64)
    lines = pl.DataFrame({"n": numbers, "line": text})
    stripped = pl.col("line").str.strip_chars_end("\r\n")
    blank = stripped == ""
    directive = stripped.str.starts_with(fmt.comment) if fmt.comment else pl.lit(False)
    kinds = lines.select(blank.alias("blank"), directive.alias("directive"))
    skipped = kinds["blank"] | kinds["directive"]
    lines = lines.filter(~skipped)
    frame = _fields(lines, fmt)
    frame = frame.with_columns(*_columns(fmt, options), *_where(frame, fmt, options))
    addresses, readable = parse_addresses(frame["client"])
    frame = frame.with_columns(pl.Series("client_ok", readable)).with_columns(
        _reasons().alias("reason"))
    keep = frame["reason"].is_null()
    bad = frame.filter(~keep)
    rejected = list(zip(bad["n"].to_list(), bad["reason"].to_list(),
                        bad["line"].str.strip_chars_end("\r\n").to_list(), strict=True))
    good = frame.filter(keep)
    addresses = addresses[keep.to_numpy()]
    return Scanned(_records(good, addresses, fmt, options, batch_id), rejected,
                   int(kinds["blank"].sum()), int((kinds["directive"] & ~kinds["blank"]).sum()),
                   lossy)


def _records(good: pl.DataFrame, addresses: np.ndarray, fmt: LogFormat,
             options: ScanOptions, batch_id: str) -> pa.Table:
    times = good["time_ms"].to_numpy().astype(np.int64)
    if fmt.needs_timezone or any(f.kind == "w3c_time" for f in fmt.fields):
        times = values.localize(times, options.timezone or "UTC")
    if options.proxies:
        addresses = options.proxies.clients(addresses, good["forwarded"])
    counted = fmt.bytes_field
    n = len(good)
    columns = {
        "time_ms": pa.array(times, pa.int64()),
        "client_addr": pa.FixedSizeBinaryArray.from_buffers(
            ADDRESS, n, [None, pa.py_buffer(np.ascontiguousarray(addresses))]),
        "host": good["host"].to_arrow(),
        "path": values.canonical_paths(good["path"]).to_arrow(),
        "status": good["status"].to_arrow(),
        "bytes": good["bytes"].to_arrow(),
        "body_bytes": good["body_bytes"].to_arrow(),
        "range_request": good["range_request"].to_arrow(),
        "cache": good["cache"].to_arrow(),
        "user_agent": values.user_agents(good["user_agent"], fmt.escape).to_arrow(),
        "tier": good["tier"].to_arrow(),
        "operator": _constant(options.operator, n),
        "bytes_field": _constant(f"{fmt.product} {counted.label if counted else ''}", n),
        "line": good["n"].to_arrow(),
        "batch_id": _constant(batch_id, n),
    }
    return pa.table({name: _cast(columns[name], LOG_SCHEMA.field(name).type)
                     for name in LOG_SCHEMA.names}).cast(LOG_SCHEMA)


def _constant(value: str, n: int) -> pa.Array:
    return pa.array([value], pa.string()).take(pa.array(np.zeros(n, np.int32)))


def _cast(column: pa.Array | pa.ChunkedArray, kind: pa.DataType) -> pa.Array | pa.ChunkedArray:
    if pa.types.is_large_string(column.type) or column.type == pa.string_view():
        return column.cast(pa.string())
    return column.cast(kind) if column.type != kind else column
