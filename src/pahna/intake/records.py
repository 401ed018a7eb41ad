"""Turn decoded field arrays (NumPy, one entry per record) into flow tables.

Shared by the IPFIX and NetFlow v9 decoders: both describe records as a list of
(element id, length) pairs, which :func:`record_dtype` turns into a NumPy structured
dtype so a whole run of records is read with one ``np.frombuffer``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from pahna.intake import elements as ie
from pahna.schema import FLOW_SCHEMA, IPV4_MAPPED_PREFIX

NTP_UNIX_OFFSET_S = 2_208_988_800
_UINT_SIZES = {1: ">u1", 2: ">u2", 4: ">u4", 8: ">u8"}
END_ELEMENTS = (ie.END_MS, ie.END_SECONDS, ie.END_US_NTP, ie.END_NS_NTP, ie.END_DELTA_US,
                ie.END_SYSUPTIME)


def record_dtype(fields: Sequence[tuple[int, int]]) -> tuple[np.dtype, dict[int, str]]:
    """A packed structured dtype for fixed-length fields, and element id -> field name.

    When an element repeats (a tunnel's outer and inner headers), the last occurrence is
    read, as pmacct does: it describes the traffic itself. Other repeats and unknown
    elements become opaque padding of their length.
    """
    wanted: dict[int, int] = {}
    for index, (element, length) in enumerate(fields):
        if element in ie.KNOWN and _readable(element, length):
            wanted[element] = index
    chosen = set(wanted.values())
    names: list[str] = []
    formats: list[str | tuple[str, tuple[int]]] = []
    for index, (element, length) in enumerate(fields):
        names.append(f"f{index}")
        if index not in chosen:
            formats.append(f"V{length}")
        elif element in ie.ADDRESS_ELEMENTS:
            formats.append(("u1", (length,)))
        else:
            formats.append(_UINT_SIZES.get(length) or ("u1", (length,)))
    dtype = np.dtype({"names": names, "formats": formats})
    return dtype, {element: f"f{index}" for element, index in wanted.items()}


def _readable(element: int, length: int) -> bool:
    if element in (ie.SRC_V4, ie.DST_V4):
        return length == 4
    if element in (ie.SRC_V6, ie.DST_V6):
        return length == 16
    return 1 <= length <= 8


@dataclass(frozen=True)
class RecordContext:
    """Per-record facts that come from the message, not the record."""

    exporter: np.ndarray  # (n, 16) uint8
    observation_domain: np.ndarray  # (n,) uint32
    export_ms: np.ndarray  # (n,) int64, the message's export time
    uptime_ms: np.ndarray | None  # (n,) int64, v9 header sysUptime; None for IPFIX
    sampling_rate: np.ndarray  # (n,) uint32, the rate known from options/header (1 = none)


def uint_column(records: np.ndarray, name: str | None, n: int) -> np.ndarray:
    """Read a named unsigned field as uint64, whatever its encoded length (0 if absent)."""
    if name is None:
        return np.zeros(n, dtype=np.uint64)
    values = records[name]
    if values.ndim == 2:  # reduced-size encoding of odd length: big-endian bytes
        weights = np.uint64(256) ** np.arange(values.shape[1] - 1, -1, -1, dtype=np.uint64)
        return (values.astype(np.uint64) * weights).sum(axis=1, dtype=np.uint64)
    return values.astype(np.uint64)


def address_column(records: np.ndarray, v4: str | None, v6: str | None, n: int) -> pa.Array:
    """16-byte addresses (IPv4 mapped). A template with both families gives the one it
    lists last where that one is non-zero, else the other; neither gives ::."""
    if v4 is None:
        return binary16_array(records[v6] if v6 else np.zeros((n, 16), dtype=np.uint8))
    mapped = _mapped_v4(records, v4, n)
    if v6 is None:
        return binary16_array(mapped)
    out = np.zeros((n, 16), dtype=np.uint8)
    six = records[v6]
    if int(v4[1:]) > int(v6[1:]):
        use_v4 = records[v4].any(axis=1) | ~six.any(axis=1)
    else:
        use_v4 = ~six.any(axis=1)
    out[use_v4] = mapped[use_v4]
    out[~use_v4] = six[~use_v4]
    return binary16_array(out)


def _mapped_v4(records: np.ndarray, v4: str, n: int) -> np.ndarray:
    """(n, 16) uint8 IPv4-mapped addresses. On a little-endian host each row is two
    64-bit words: zero, then 0xFFFF0000 with the address's raw bytes above it (two
    NumPy passes instead of a byte-by-byte copy)."""
    offset = int(dict(records.dtype.fields or {})[v4][1])
    whole = records if records.flags.c_contiguous else np.ascontiguousarray(records)
    address = np.ndarray((n,), np.uint32, whole.data, offset, (records.dtype.itemsize,))
    if sys.byteorder != "little":
        words = np.empty((n, 4), dtype=np.uint32)
        words[:, :3] = np.frombuffer(IPV4_MAPPED_PREFIX, dtype=np.uint32)
        words[:, 3] = address
        return words.view(np.uint8)
    low = address.astype(np.uint64)
    low <<= np.uint64(32)
    low |= np.uint64(0xFFFF0000)
    pairs = np.zeros((n, 2), dtype=np.uint64)
    pairs[:, 1] = low
    return pairs.view(np.uint8)


def binary16_array(matrix: np.ndarray) -> pa.Array:
    """An Arrow fixed_size_binary(16) array over an (n, 16) uint8 matrix."""
    data = np.ascontiguousarray(matrix, dtype=np.uint8)
    return pa.Array.from_buffers(pa.binary(16), len(data), [None, pa.py_buffer(data)])


def _times(records: np.ndarray, names: dict[int, str], ctx: RecordContext, n: int) -> tuple[
    np.ndarray, np.ndarray
]:
    def get(element: int) -> np.ndarray:
        name = names.get(element)
        if name is not None and records[name].ndim == 1:
            return records[name].astype(np.int64)  # one pass; the same bits as via uint64
        return uint_column(records, name, n).astype(np.int64)

    def one(ms: int, s: int, us_ntp: int, ns_ntp: int, delta: int, uptime: int) -> np.ndarray:
        if ms in names:
            return get(ms)
        if s in names:
            return get(s) * 1000
        if us_ntp in names or ns_ntp in names:
            raw = get(us_ntp if us_ntp in names else ns_ntp).view(np.uint64)
            secs = (raw >> np.uint64(32)).astype(np.int64) - NTP_UNIX_OFFSET_S
            frac = ((raw & np.uint64(0xFFFFFFFF)) * np.uint64(1000)) >> np.uint64(32)
            return secs * 1000 + frac.astype(np.int64)
        if delta in names:
            return ctx.export_ms - get(delta) // 1000
        if uptime in names:
            if ie.SYSTEM_INIT_MS in names:
                return get(ie.SYSTEM_INIT_MS) + get(uptime)
            if ctx.uptime_ms is not None:  # v9: milliseconds before the header's uptime
                before = get(uptime)
                np.subtract(ctx.uptime_ms, before, out=before)
                before &= 0xFFFFFFFF
                return np.subtract(ctx.export_ms, before, out=before)
        return ctx.export_ms.copy()

    start = one(ie.START_MS, ie.START_SECONDS, ie.START_US_NTP, ie.START_NS_NTP,
                ie.START_DELTA_US, ie.START_SYSUPTIME)
    end = one(ie.END_MS, ie.END_SECONDS, ie.END_US_NTP, ie.END_NS_NTP,
              ie.END_DELTA_US, ie.END_SYSUPTIME)
    if not any(e in names for e in END_ELEMENTS):  # an event: no end time sent
        end = start
    if _unanchored_uptime(names, ctx):
        start, end = _anchor_at_export(get(ie.START_SYSUPTIME), get(ie.END_SYSUPTIME), ctx)
    return start, np.maximum(end, start)


def _unanchored_uptime(names: dict[int, str], ctx: RecordContext) -> bool:
    """IPFIX sysUpTime times with no systemInitTime to place them (RFC 7011 leaves the
    exporter's boot time to an options record that many exporters never send)."""
    return (ie.START_SYSUPTIME in names and ie.END_SYSUPTIME in names
            and ie.SYSTEM_INIT_MS not in names and ctx.uptime_ms is None)


def _anchor_at_export(start_up: np.ndarray, end_up: np.ndarray, ctx: RecordContext) -> tuple[
    np.ndarray, np.ndarray
]:
    """The flow ends at the message's export time and keeps its duration."""
    duration = (end_up - start_up) % 2**32
    return ctx.export_ms - duration, ctx.export_ms.copy()


def _sampling(records: np.ndarray, names: dict[int, str], ctx: RecordContext, n: int) -> np.ndarray:
    intervals = [names[e] for e in (ie.SAMPLING_INTERVAL, ie.SAMPLER_RANDOM_INTERVAL)
                 if e in names]
    packet_space = ie.SAMPLING_PACKET_INTERVAL in names and ie.SAMPLING_PACKET_SPACE in names
    if not packet_space and all(_narrow(records, name) for name in intervals):
        rate = ctx.sampling_rate.astype(np.uint32)  # nothing wider than 32 bits: no truncation
        for name in intervals:
            in_record = records[name].astype(np.uint32)
            rate = np.where(in_record > 0, in_record, rate)
        return rate  # 0 only where the context's rate was unknowable (see plausible.py)
    rate = ctx.sampling_rate.astype(np.uint64)
    for name in intervals:
        in_record = uint_column(records, name, n)
        rate = np.where(in_record > 0, in_record, rate)
    if packet_space:
        interval = uint_column(records, names[ie.SAMPLING_PACKET_INTERVAL], n)
        space = uint_column(records, names[ie.SAMPLING_PACKET_SPACE], n)
        ok = interval > 0
        rate = np.where(ok, (interval + space) // np.maximum(interval, 1), rate)
    return np.where(rate > 0xFFFFFFFF, 0, rate).astype(np.uint32)  # 0: does not fit


def _narrow(records: np.ndarray, name: str) -> bool:
    """A field read as one unsigned number of at most 32 bits."""
    values = records[name]
    return values.ndim == 1 and values.dtype.itemsize <= 4


def flows_from_records(
    records: np.ndarray, names: dict[int, str], ctx: RecordContext, batch_id: str
) -> pa.Table:
    """Build a flow table (FLOW_SCHEMA) from structured records and their context."""
    n = len(records)

    def col(*candidates: int, dtype: type[np.unsignedinteger] = np.uint64) -> np.ndarray:
        """The first candidate present, converted once to the schema's type."""
        for element in candidates:
            if element in names:
                values = records[names[element]]
                if values.ndim == 2:
                    return uint_column(records, names[element], n).astype(dtype)
                return values.astype(dtype)
        return np.zeros(n, dtype=dtype)

    start, end = _times(records, names, ctx, n)
    direction = col(ie.DIRECTION, dtype=np.uint8) if ie.DIRECTION in names else np.full(
        n, 255, np.uint8)
    columns = {
        "exporter": binary16_array(ctx.exporter),
        "observation_domain": ctx.observation_domain.astype(np.uint32),
        "src_addr": address_column(records, names.get(ie.SRC_V4), names.get(ie.SRC_V6), n),
        "dst_addr": address_column(records, names.get(ie.DST_V4), names.get(ie.DST_V6), n),
        "src_port": col(ie.SRC_PORT, dtype=np.uint16),
        "dst_port": col(ie.DST_PORT, dtype=np.uint16),
        "protocol": col(ie.PROTOCOL, dtype=np.uint8),
        "bytes": col(ie.OCTET_DELTA, ie.OCTET_TOTAL, ie.POST_OCTET_DELTA),
        "packets": col(ie.PACKET_DELTA, ie.PACKET_TOTAL, ie.POST_PACKET_DELTA),
        "start_ms": start,
        "end_ms": end,
        "sampling_rate": _sampling(records, names, ctx, n),
        "input_if": col(ie.INPUT_IF, dtype=np.uint32),
        "output_if": col(ie.OUTPUT_IF, dtype=np.uint32),
        "direction": direction,
        "src_as": col(ie.SRC_AS, dtype=np.uint32),
        "dst_as": col(ie.DST_AS, dtype=np.uint32),
        "batch_id": pa.repeat(pa.scalar(batch_id, pa.string()), n),
    }
    arrays = [
        value if isinstance(value, pa.Array) else pa.array(value, type=FLOW_SCHEMA.field(k).type)
        for k, value in columns.items()
    ]
    return pa.Table.from_arrays(arrays, schema=FLOW_SCHEMA)
