"""Vectorized framing for runs of alike datagrams (the steady state of an exporter).

Between template refreshes an exporter sends datagrams that differ only in their
values: same length, same sets at the same offsets. Such a run is read as one
(datagrams x bytes) matrix: header fields are columns of it, and each data set's records
are a block of columns, so the whole run costs a few NumPy operations instead of a
Python walk per datagram. The first datagram of a run is parsed in full; the run is
taken only if every other datagram matches it byte for byte wherever framing lives
(version, lengths, set headers, observation domain) and it carries nothing but data of
known fixed-length templates; anything else goes through the general path.
"""

from __future__ import annotations

import itertools
import operator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from pahna.errors import DecodeError
from pahna.intake.base import Datagram

if TYPE_CHECKING:
    from pahna.intake.templated import TemplatedDecoder
    from pahna.intake.templates import Template

MIN_RUN = 8
_PAYLOAD = operator.attrgetter("payload")
_EXPORTER = operator.attrgetter("exporter")


@dataclass(frozen=True)
class HeaderLayout:
    """Where a format keeps its header fields (byte offsets of big-endian uint32s)."""

    size: int
    framing: tuple[tuple[int, int], ...]  # byte ranges that must match across the run
    export_s: int
    sequence: int
    domain: int
    uptime: int | None


@dataclass(frozen=True)
class Block:
    """The records of one set across a uniform run, with their per-datagram facts."""

    records: np.ndarray  # (datagrams, bytes) uint8 view of the set in the run's matrix
    per_datagram: int
    exporter: bytes
    domain: int
    export_ms: np.ndarray
    uptime_ms: np.ndarray | None
    rate: int
    first_origin: int  # the batch index of the run's first datagram


@dataclass(frozen=True)
class _Set:
    offset: int  # of the set body in the payload
    count: int
    template: Template
    rate: int


def runs_of_alike(datagrams: list[Datagram]) -> list[tuple[int, int]]:
    """[start, end) spans of consecutive datagrams with one exporter and one length."""
    if not datagrams:
        return []
    lengths = np.fromiter(map(len, map(_PAYLOAD, datagrams)), dtype=np.int64,
                          count=len(datagrams))
    changed = np.diff(lengths) != 0
    exporters = list(map(_EXPORTER, datagrams))
    if exporters.count(exporters[0]) != len(exporters):  # more than one exporter
        ids: dict[bytes, int] = {}
        numbers = np.fromiter((ids.setdefault(e, len(ids)) for e in exporters),
                              dtype=np.int64, count=len(exporters))
        changed |= np.diff(numbers) != 0
    change = np.flatnonzero(changed) + 1
    edges = [0, *change.tolist(), len(datagrams)]
    return list(itertools.pairwise(edges))


def plan(decoder: TemplatedDecoder, layout: HeaderLayout, first: Datagram) -> list[_Set] | None:
    """The data sets of `first` if it can lead a uniform run, else None."""
    try:
        messages = decoder.parse(first)
    except DecodeError:
        return None
    if len(messages) != 1 or not messages[0].sets:
        return None
    message, sets, offset = messages[0], [], layout.size
    for set_id, body in message.sets:
        template = decoder.templates.get((message.exporter, message.domain, set_id))
        if template is None or template.scope_count or not template.record_length:
            return None
        rate = decoder.sampling.rates((message.exporter, message.domain), template, b"", 0)
        if not isinstance(rate, int):
            return None
        sets.append(_Set(offset + 4, len(body) // template.record_length, template, rate))
        offset += 4 + len(body)
    return sets if offset == len(first.payload) else None


def matrix(datagrams: list[Datagram]) -> np.ndarray:
    payloads = b"".join(d.payload for d in datagrams)
    return np.frombuffer(payloads, dtype=np.uint8).reshape(len(datagrams), -1)


def framing_matches(rows: np.ndarray, layout: HeaderLayout, sets: list[_Set]) -> bool:
    """Every row has the first row's bytes wherever framing lives (one gather, one
    comparison)."""
    ranges = [*layout.framing, (layout.domain, layout.domain + 4)]
    ranges += [(s.offset - 4, s.offset) for s in sets]
    framing = rows[:, [i for a, b in ranges for i in range(a, b)]]
    return bool((framing == framing[0]).all())


def header_words(rows: np.ndarray, layout: HeaderLayout) -> np.ndarray:
    """The header as big-endian uint32 words, one row per datagram, as int64: a field at
    byte offset k is column k // 4 (every layout field is 4-byte aligned)."""
    raw = np.ascontiguousarray(rows[:, : layout.size])
    return raw.view(">u4").astype(np.int64)


def set_records(rows: np.ndarray, item: _Set) -> np.ndarray:
    """The records of one set in every row: a view, copied once when the batch is joined."""
    width = item.count * item.template.record_length  # type: ignore[operator]
    return rows[:, item.offset : item.offset + width]


SEQUENCE_WRAP = 2**32


def sequence_gaps(expected: int | None, sequence: np.ndarray, step: int) -> tuple[int, int]:
    """(missing, next expected) for a run of sequence numbers advancing by `step`."""
    previous = np.concatenate([[sequence[0] if expected is None else expected],
                               sequence[:-1] + step])
    gap = (sequence - previous) % SEQUENCE_WRAP
    missing = int(gap[(gap > 0) & (gap < SEQUENCE_WRAP // 2)].sum())
    return missing, int(sequence[-1] + step) % SEQUENCE_WRAP

