"""Integrity signals per producer-month: what each producer's traffic looks like beside
what a human audience makes. Pure: the engine's sums (`aggregate.signals`) and the
producers' usage in, a `Signals` per producer out. docs/integrity.md gives each formula.

Byte figures are exact integers. Ratios are floats computed in a fixed order from those
integers and rounded to 6 places, so a month recomputes to the same document on either
engine, and `verify` compares them bit for bit.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pahna.integrity.counts import nation_days, night_z, step_z
from pahna.integrity.profile import (
    change_points,
    daily_correlation,
    day_profile,
    flatness,
    hour_of_day,
    hourly_volume,
    night_ratio,
    rounded,
)
from pahna.settle.usage import ProducerUsage

TOP_NETWORKS = 10
DAY_MS = 86_400_000


def ratio(part: int, whole: int) -> float:
    return rounded(part / whole) if whole else 0.0


@dataclass(frozen=True)
class Signals:
    producer_id: str
    producer_type: str
    sent_bytes: int
    self_bytes: int
    peer_bytes: int
    hosting_bytes: int
    machine_bytes: int
    self_share: float
    peer_share: float
    max_reciprocity: float
    reciprocal_peer: str
    top10_share: float
    herfindahl: float
    entropy: float
    client_networks: int
    hosting_share: float
    flatness: float
    daily_correlation: float
    change_points: int
    step_ratio: float
    growth: float
    machine_share: float
    send_receive_ratio: float
    night_ratio: float = 0.0
    network_excess: float = 0.0
    records: int = 0
    step_z: float = 0.0
    night_z: float = 0.0
    record_excess: float = 0.0

    def value(self, name: str) -> float:
        return float(getattr(self, name))

    def document(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Concentration:
    top10_share: float
    herfindahl: float
    entropy: float
    networks: int
    excess: float = 0.0


def network_excess(shares: np.ndarray) -> float:
    """n x the Herfindahl index of the n - 1 networks left once the largest is set aside
    (shares renormalised): about the same for audiences of any size, 1 when perfectly
    even; a few networks pulling much of the bytes raise it; one huge transfer alone
    does not (its network is the one set aside)."""
    rest = np.sort(shares)[::-1][1:]
    if len(rest) < 2 or rest.sum() <= 0:
        return 0.0
    rest = rest / rest.sum()
    return rounded(float(np.square(rest).sum()) * len(rest))


def concentration(network_bytes: np.ndarray) -> Concentration:
    """Top-10 share, Herfindahl index and normalised entropy of bytes over client
    networks (networks with no bytes do not count)."""
    values = np.sort(network_bytes[network_bytes > 0].astype(np.float64))[::-1]
    if not len(values):
        return Concentration(0.0, 0.0, 0.0, 0)
    shares = values / values.sum()
    entropy = 0.0
    if len(values) > 1:
        from scipy.stats import entropy as shannon

        entropy = float(shannon(shares)) / math.log(len(values))
    return Concentration(rounded(shares[:TOP_NETWORKS].sum()),
                         rounded(float(np.square(shares).sum())), rounded(entropy),
                         len(values), network_excess(shares))


def _by_producer(table: pa.Table) -> dict[str, int]:
    out: dict[str, int] = {}
    for pid, value in zip(table["producer_id"].to_pylist(), table["bytes"].to_pylist(),
                          strict=True):
        out[pid] = out.get(pid, 0) + int(value)
    return out


def pair_bytes(peers: pa.Table) -> dict[tuple[str, str], int]:
    """Bytes per directed pair (producer, client's producer), self pairs included."""
    return {(a, b): int(v) for a, b, v in zip(peers["producer_id"].to_pylist(),
                                              peers["peer_id"].to_pylist(),
                                              peers["bytes"].to_pylist(), strict=True)}


def reciprocity(pairs: Mapping[tuple[str, str], int], a: str, b: str) -> float:
    """min(A->B, B->A) / max(A->B, B->A); 0 when neither sends to the other."""
    there, back = pairs.get((a, b), 0), pairs.get((b, a), 0)
    return rounded(min(there, back) / max(there, back)) if max(there, back) else 0.0


def neighbours(pairs: Mapping[tuple[str, str], int]) -> dict[str, set[str]]:
    """The other producers each producer sends to or receives from."""
    out: dict[str, set[str]] = {}
    for a, b in pairs:
        if a != b:
            out.setdefault(a, set()).add(b)
            out.setdefault(b, set()).add(a)
    return out


def strongest_pair(pairs: Mapping[tuple[str, str], int], producer: str,
                   others: set[str]) -> tuple[float, str]:
    """The producer's highest reciprocity with another producer, and that producer."""
    best = (0.0, "")
    for other in sorted(others):
        value = reciprocity(pairs, producer, other)
        if value > best[0]:
            best = (value, other)
    return best


def hosting_bytes(excludable: pa.Table) -> dict[str, int]:
    """Bytes to hosting clients that no producer claims (a claimed client counts as
    self or peer traffic first)."""
    rows = excludable.filter(pc.and_(excludable["hosting"],
                                     pc.is_null(excludable["peer_id"])))
    return _by_producer(rows)


@dataclass(frozen=True)
class MonthFrame:
    """The month's bins (its first instant, its number of 5-minute bins) and, per
    producer, the days on which a claim on its addresses began or ended."""

    start_ms: int
    samples: int
    claim_days: Mapping[str, frozenset[int]] = field(default_factory=dict)


def claim_change_days(claims: Sequence[Sequence[Any]], start_ms: int, days: int
                      ) -> dict[str, frozenset[int]]:
    """Per producer, the days of the month on which a prefix claim overlapping one of
    its prefixes began or ended (its own, or one nested in or around it). Claims are
    rules-snapshot rows [producer, kind, value, valid_from_ms, valid_to_ms]."""
    prefixes = [(c[0], ipaddress.ip_network(c[2]), c[3], c[4]) for c in claims
                if c[1] == "prefix"]
    changes = [(net, (t - start_ms) // DAY_MS) for _, net, begin, end in prefixes
               for t in (begin, end) if t is not None and start_ms <= t < start_ms
               + days * DAY_MS]
    out: dict[str, set[int]] = {}
    for owner, net, _, _ in prefixes:
        for other, day in changes:
            if net.version == other.version and (net.overlaps(other)):
                out.setdefault(owner, set()).add(int(day))
    return {owner: frozenset(found) for owner, found in out.items()}


def compute_signals(usage: Sequence[ProducerUsage], tables: Mapping[str, pa.Table],
                    month: MonthFrame, previous_sent: Mapping[str, int]
                    ) -> dict[str, Signals]:
    """Signals of every producer in `usage` (pre-exclusion usage), by producer id."""
    pairs = pair_bytes(tables["peers"])
    near = neighbours(pairs)
    to_peers: dict[str, int] = {}
    for (a, b), value in pairs.items():
        if a != b:
            to_peers[a] = to_peers.get(a, 0) + value
    hosting = hosting_bytes(tables["excludable"])
    machine = _by_producer(tables["repeats"])
    networks = _per_producer(tables["networks"], "bytes")
    by_records = _per_producer(tables["networks"], "records")
    hourly = {u.producer.id: hourly_volume(u.series.start_ms, u.series.sent, month.start_ms,
                                           month.samples) for u in usage}
    counts = _hourly_records(tables["records"], month, "records")
    steady = _hourly_records(tables["records"], month, "steady_records")
    nation_counts = sum(counts.values(), np.zeros(month.samples // 12, np.int64))
    nation_profile = nation_days(list(steady.values()))
    everyone = sum(hourly.values(), np.zeros(month.samples // 12))
    national = hour_of_day(everyone, month.start_ms)
    nation_day = day_profile(everyone)
    out = {}
    for u in sorted(usage, key=lambda u: u.producer.id):
        pid, sent = u.producer.id, u.sent_bytes
        conc = concentration(networks.get(pid, np.zeros(0, np.int64)))
        best, peer = strongest_pair(pairs, pid, near.get(pid, set()))
        own, others = pairs.get((pid, pid), 0), to_peers.get(pid, 0)
        changes = month.claim_days.get(pid, frozenset())
        points, step = change_points(hourly[pid], changes)
        records = counts.get(pid, np.zeros(month.samples // 12, np.int64))
        held_all_month = steady.get(pid, np.zeros(0, np.int64))
        before = previous_sent.get(pid, 0)
        out[pid] = Signals(
            pid, u.producer.type, sent, own, others, hosting.get(pid, 0), machine.get(pid, 0),
            ratio(own, sent), ratio(others, sent), best, peer, conc.top10_share,
            conc.herfindahl, conc.entropy, conc.networks, ratio(hosting.get(pid, 0), sent),
            flatness(hourly[pid]), daily_correlation(hourly[pid], national, month.start_ms),
            points, step, rounded(sent / before - 1) if before else 0.0,
            ratio(machine.get(pid, 0), sent),
            rounded(sent / u.received_bytes) if u.received_bytes else 0.0,
            night_ratio(day_profile(hourly[pid]), nation_day), conc.excess,
            int(records.sum()), _step(records, held_all_month, nation_profile, changes),
            night_z(records, nation_counts),
            concentration(by_records.get(pid, np.zeros(0, np.int64))).excess)
    return out


def _step(records: np.ndarray, steady: np.ndarray, nation: np.ndarray,
          changes: frozenset[int]) -> float:
    """step_z on the records from addresses no prefix claim of which, of any owner,
    began or ended in the month (like with like), or, when it has none, on all its
    records cut at the days its claims changed."""
    if steady.sum() > 0:
        return step_z(steady, nation)
    return step_z(records, nation, changes)


def _hourly_records(table: pa.Table, month: MonthFrame, column: str
                    ) -> dict[str, np.ndarray]:
    """Flow records (the column's count) starting in each hour of the month, per
    producer."""
    starts = _per_producer(table, "bin_start_ms")
    return {pid: hourly_volume(starts[pid], values, month.start_ms, month.samples)
            for pid, values in _per_producer(table, column).items()}


def _per_producer(table: pa.Table, column: str) -> dict[str, np.ndarray]:
    """A column's values per producer, as int64 (the table is ordered by producer)."""
    pid = table["producer_id"].to_numpy(zero_copy_only=False)
    values = table[column].to_numpy(zero_copy_only=False).astype(np.int64)
    if not len(pid):
        return {}
    starts = np.flatnonzero(np.concatenate([[True], pid[1:] != pid[:-1]]))
    ends = np.append(starts[1:], len(pid))
    return {str(pid[a]): values[a:b] for a, b in zip(starts, ends, strict=True)}
