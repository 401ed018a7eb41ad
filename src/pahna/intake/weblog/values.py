"""Field values to record columns, over whole columns at once (polars expressions).

Each function takes the raw text of a field as a polars expression and returns the
typed value, null where the text cannot be read (the scanner turns a null in a required
column into a rejection reason). Rare values that need Python (non-ASCII paths, escaped
user agents, IPv6 addresses) are computed once per distinct value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from pahna.webnames import NEEDS_CANONICAL_PATH, canonical_path

_CLF = "%d/%b/%Y:%H:%M:%S %z"
_NAIVE_HOUR_MS = 3_600_000


def _epoch_seconds(text: pl.Expr) -> pl.Expr:
    """`1286536309.450` -> 1286536309450 (ms), exactly (no float in between)."""
    parts = text.str.strip_chars().str.split_exact(".", 1)
    whole = parts.struct.field("field_0").cast(pl.Int64, strict=False)
    frac = parts.struct.field("field_1").fill_null("").str.pad_end(3, "0").str.slice(0, 3)
    ok = text.str.contains(r"^\s*\d+(?:\.\d*)?\s*$")
    return pl.when(ok).then(whole * 1000 + frac.cast(pl.Int64, strict=False))


def _epoch_auto(text: pl.Expr) -> pl.Expr:
    """Cloudflare's EdgeStartTimestamp: unix ns (default), unix s, or RFC 3339."""
    digits = text.str.contains(r"^\d+$")
    number = text.cast(pl.Int64, strict=False)
    size = text.str.len_chars()
    return (pl.when(digits & (size >= 18)).then(number // 1_000_000)
            .when(digits & (size >= 15)).then(number // 1000)
            .when(digits & (size >= 12)).then(number)
            .when(digits).then(number * 1000)
            .otherwise(_parsed(text, "%+")))


def _parsed(text: pl.Expr, pattern: str, aware: bool = True) -> pl.Expr:
    kind = pl.Datetime("ms", "UTC") if aware else pl.Datetime("ms")
    return text.str.strptime(kind, pattern, strict=False).dt.epoch("ms")


def time_ms(text: pl.Expr, kind: str, pattern: str = "", date: pl.Expr | None = None
            ) -> pl.Expr:
    """UTC epoch ms from a time field written as `kind` (see fields.TIME_KINDS). Times
    without an offset (haproxy, strftime without %z) come back as if UTC: see
    `localize`."""
    if kind == "clf":
        return _parsed(text.str.strip_chars("[]"), _CLF)
    if kind == "iso8601":
        return _parsed(text, "%+")
    if kind == "epoch_s":
        return _epoch_seconds(text)
    if kind in ("epoch_ms", "epoch_us", "epoch_ns"):
        divisor = {"epoch_ms": 1, "epoch_us": 1000, "epoch_ns": 1_000_000}[kind]
        return text.cast(pl.Int64, strict=False) // divisor
    if kind == "epoch_auto":
        return _epoch_auto(text)
    if kind == "w3c_time" and date is not None:
        return _parsed(pl.concat_str([date, text], separator=" "), "%Y-%m-%d %H:%M:%S%.f",
                       aware=False)
    if kind == "haproxy":
        return _parsed(text.str.strip_chars("[]"), "%d/%b/%Y:%H:%M:%S%.f", aware=False)
    aware = "%z" in pattern
    return _parsed(text.str.strip_chars("[]"), pattern, aware=aware)


def localize(naive_ms: np.ndarray, zone: str) -> np.ndarray:
    """Wall-clock times of `zone` (as if UTC) -> UTC, with the zone rules of the pinned
    tzdata (one offset per distinct hour, so a month costs a few hundred look-ups). A
    wall time that happens twice (clocks set back) is read as the first."""
    tz = ZoneInfo(zone)
    hours = naive_ms // _NAIVE_HOUR_MS
    unique, inverse = np.unique(hours, return_inverse=True)
    offsets = np.array([_offset_ms(int(h) * _NAIVE_HOUR_MS, tz) for h in unique.tolist()],
                       dtype=np.int64)
    return naive_ms - offsets[inverse]


def _offset_ms(wall_ms: int, tz: ZoneInfo) -> int:
    wall = datetime.fromtimestamp(wall_ms / 1000, tz=UTC).replace(tzinfo=tz, fold=0)
    offset = wall.utcoffset()
    return 0 if offset is None else int(offset.total_seconds() * 1000)


def count(text: pl.Expr) -> pl.Expr:
    """A byte count: digits, or `-` for none (Apache's %b), as an unsigned 64-bit int."""
    clean = text.str.strip_chars()
    return (pl.when(clean == "-").then(pl.lit(0, pl.UInt64))
            .otherwise(clean.cast(pl.UInt64, strict=False)))


def status(text: pl.Expr) -> pl.Expr:
    """An HTTP status; `-` or HAProxy's -1 (no response was sent) read as 0."""
    clean = text.str.strip_chars()
    number = clean.cast(pl.Int64, strict=False)
    return (pl.when(clean.is_in(["-", "-1"])).then(pl.lit(0, pl.UInt16))
            .when((number >= 0) & (number <= 999)).then(number.cast(pl.UInt16)))


def cache_status(text: pl.Expr) -> pl.Expr:
    """hit, miss or other, from any product's cache verdict (nginx HIT, Squid TCP_MEM_HIT,
    CloudFront RefreshHit, Cloudflare hit/expired, varnish hit/miss, Fastly HIT-STALE)."""
    upper = text.str.to_uppercase()
    return (pl.when(upper.str.contains("HIT")).then(pl.lit("hit"))
            .when(upper.str.contains("MISS")).then(pl.lit("miss"))
            .otherwise(pl.lit("other")))


def hosts(text: pl.Series) -> pl.Series:
    """Host values in canonical form (webnames.canonical_host); `-` is empty."""
    lowered = text.fill_null("").str.strip_chars().str.to_lowercase()
    if lowered.str.contains(":", literal=True).any():
        bare = lowered.str.extract(r"^(\[[^\]]*\]|[^:]*)(?::\d*)?$", 1)
        lowered = pl.select(pl.coalesce([bare, lowered])).to_series()
    if lowered.str.ends_with(".").any():
        lowered = lowered.str.strip_chars_end(".")
    return pl.select(pl.when(lowered == "-").then(pl.lit("")).otherwise(lowered)).to_series()


def targets_of_requests(request: pl.Series) -> pl.Series:
    """The target of each request line (`GET /a?b HTTP/1.1` -> `/a?b`); null when a
    line is not one (`-`, TLS bytes sent to a plain port)."""
    return request.str.splitn(" ", 3).struct.field("field_1")


_ABSOLUTE = r"^[A-Za-z][A-Za-z0-9+.-]*://([^/?#]*)"


def split_targets(target: pl.Series) -> tuple[pl.Series, pl.Series | None]:
    """(path, host) of each target: the path without query or fragment (absolute URLs
    lose their scheme and host; authority-form `host:443` and `*` have no path), and the
    host of absolute URLs (None when no target is one)."""
    target = target.fill_null("")
    host = None
    if target.str.contains("://", literal=True).any():
        host = hosts(target.str.extract(_ABSOLUTE, 1))
        target = target.str.replace(_ABSOLUTE, "")
    cut = pl.select(pl.min_horizontal(
        target.str.find("?", literal=True), target.str.find("#", literal=True))
        .fill_null(target.str.len_bytes())).to_series()
    path = pl.select(pl.lit(target).str.slice(0, cut)).to_series() if cut.len() else target
    rooted = pl.select(pl.when(path.str.starts_with("/")).then(path).otherwise(pl.lit("")))
    return rooted.to_series(), host


def unescape_path(path: pl.Series, escape: str) -> pl.Series:
    """Undo a log's escapes in a path, as percent escapes (`\\x22` and `\\"` ->
    `%22`), once per distinct path that has any."""
    if escape not in ("nginx", "apache"):
        return path
    return _per_distinct(path, path.str.contains("\\", literal=True), _escapes_as_percent)


def _escapes_as_percent(text: str) -> str:
    return _C_ESCAPE_TEXT.sub(lambda m: "%" + (m.group(1)[1:].upper() if m.group(1)[0] == "x"
                                               else f"{ord(m.group(1)):02X}"), text)


def canonical_paths(paths: pl.Series) -> pl.Series:
    """webnames.canonical_path over a column, in Python only for the rare values it
    changes (non-ASCII, lower-case escapes), once per distinct value."""
    return _per_distinct(paths, paths.str.contains(NEEDS_CANONICAL_PATH), canonical_path)


def user_agents(agents: pl.Series, escape: str) -> pl.Series:
    """User agents with the log's escapes undone; `-` is empty."""
    clean = agents.fill_null("")
    clean = pl.select(pl.when(clean == "-").then(pl.lit("")).otherwise(clean)).to_series()
    if escape in ("nginx", "apache"):
        return _per_distinct(clean, clean.str.contains("\\", literal=True), _unescape_c)
    if escape == "w3c":
        return clean.str.replace_all("+", " ", literal=True)
    if escape == "url":
        return _per_distinct(clean, clean.str.contains("%", literal=True), _unquote_twice)
    return clean


_C_ESCAPE = re.compile(rb"\\(x[0-9A-Fa-f]{2}|.)")
_C_ESCAPE_TEXT = re.compile(r"\\(x[0-9A-Fa-f]{2}|.)")


def _unescape_c(text: str) -> str:
    raw = text.encode("utf-8", "surrogateescape")
    plain = _C_ESCAPE.sub(lambda m: bytes([int(m.group(1)[1:], 16)]) if m.group(1)[:1] == b"x"
                          else {b"n": b"\n", b"t": b"\t", b"r": b"\r"}.get(m.group(1),
                                                                           m.group(1)), raw)
    return plain.decode("utf-8", "replace")


def _unquote_twice(text: str) -> str:
    """CloudFront URL-encodes user agents, some twice (`%2520`)."""
    once = unquote(text)
    return unquote(once) if "%25" in text else once


def _per_distinct(values: pl.Series, needs: pl.Series, change: Callable[[str], str]
                  ) -> pl.Series:
    needs = needs.fill_null(False)
    if not needs.any():
        return values
    rare = values.filter(needs).unique()
    mapping = {v: change(v) for v in rare.to_list() if v is not None}
    fixed = values.replace(mapping) if mapping else values
    return pl.select(pl.when(needs).then(fixed).otherwise(values)).to_series().alias(
        values.name)
