"""What the policy decides from the signals: bytes excluded before pricing, and holds.

An exclusion takes bytes out of a producer's usage, bin by bin and class by class,
before anything is priced (so the 95th percentile and the pool see the month without
them). A piece of traffic falls in one category only: to a client inside the producer's
own claims (self), else inside another producer's (peer), else in hosting space.
A hold keeps the producer's payable amount back until a reviewer releases or confirms it
(ledger.holds); the amount itself is settled as the tariff says.
Each decision carries its reason code, its figure, the baseline and the threshold.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pahna.integrity.policy import HoldRule, IntegrityPolicy
from pahna.integrity.records import Exclusion, Hold
from pahna.integrity.scores import Baseline
from pahna.integrity.signals import Signals, pair_bytes, reciprocity

CELL_KEYS = ("producer_id", "traffic_class", "bin_start_ms")


def _categories(excludable: pa.Table) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(self, peer, hosting) masks over the excludable rows, disjoint."""
    pid = excludable["producer_id"].to_numpy(zero_copy_only=False)
    peer = excludable["peer_id"].to_numpy(zero_copy_only=False)
    claimed = pc.is_valid(excludable["peer_id"]).to_numpy(zero_copy_only=False)
    hosting = excludable["hosting"].to_numpy(zero_copy_only=False).astype(bool)
    own = claimed & (pid == peer)
    return own, claimed & ~own, hosting & ~claimed


def excluded_rows(excludable: pa.Table, peers: pa.Table, policy: IntegrityPolicy
                  ) -> tuple[pa.Table, np.ndarray]:
    """The excludable rows the policy takes out, and the reason index of each (0 self,
    1 reciprocal, 2 hosting)."""
    own, other, hosting = _categories(excludable)
    reason = np.full(excludable.num_rows, -1, np.int8)
    if policy.exclude_self:
        reason[own] = 0
    if policy.exclude_reciprocity_at is not None and other.any():
        pairs = pair_bytes(peers)
        pid = excludable["producer_id"].to_pylist()
        peer = excludable["peer_id"].to_pylist()
        bound = float(policy.exclude_reciprocity_at)
        for row in np.flatnonzero(other):
            if reciprocity(pairs, pid[row], peer[row]) >= bound:
                reason[row] = 1
    if policy.exclude_hosting:
        reason[hosting] = 2
    keep = reason >= 0
    return excludable.filter(pa.array(keep)), reason[keep]


def exclusions(excludable: pa.Table, peers: pa.Table, signals: Mapping[str, Signals],
               policy: IntegrityPolicy) -> tuple[dict[str, tuple[Exclusion, ...]], pa.Table]:
    """Per producer its exclusions; and the excluded bytes per (producer, class, bin)."""
    rows, reason = excluded_rows(excludable, peers, policy)
    totals: dict[tuple[str, int, str], int] = {}
    for pid, peer, why, value in zip(rows["producer_id"].to_pylist(),
                                     rows["peer_id"].to_pylist(), reason.tolist(),
                                     rows["bytes"].to_pylist(), strict=True):
        key = (pid, why, peer if why == 1 else "")
        totals[key] = totals.get(key, 0) + int(value)
    pairs = pair_bytes(peers)
    out: dict[str, list[Exclusion]] = {}
    for (pid, why, peer), value in sorted(totals.items()):
        if pid not in signals:  # claimed by no producer of the month's basis
            continue
        out.setdefault(pid, []).append(_exclusion(pid, why, peer, value, signals[pid],
                                                  policy, pairs))
    summed = rows.group_by(list(CELL_KEYS)).aggregate([("bytes", "sum")])
    cells = pa.table({**{key: summed[key] for key in CELL_KEYS},
                      "excluded": summed["bytes_sum"]})
    return {pid: tuple(items) for pid, items in out.items()}, cells


def _exclusion(pid: str, why: int, peer: str, value: int, signals: Signals,
               policy: IntegrityPolicy, pairs: Mapping[tuple[str, str], int]) -> Exclusion:
    if why == 1:
        return Exclusion("reciprocal_traffic", value, str(reciprocity(pairs, pid, peer)),
                         str(policy.exclude_reciprocity_at), peer)
    share = signals.self_share if why == 0 else signals.hosting_share
    return Exclusion(("self_traffic", "", "hosting_clients")[why], value, str(share), "")


def remove_excluded(usage: pa.Table, cells: pa.Table) -> pa.Table:
    """The usage table (producer, class, bin, ..., bytes) less the excluded bytes."""
    if not cells.num_rows:
        return usage
    joined = usage.join(cells, list(CELL_KEYS), join_type="left outer")
    left = pc.subtract_checked(joined["bytes"], pc.fill_null(joined["excluded"], 0))
    joined = joined.set_column(joined.schema.get_field_index("bytes"), "bytes", left)
    return joined.drop_columns(["excluded"]).select(usage.schema.names).cast(usage.schema)


def _passes(rule: HoldRule, value: Decimal) -> bool:
    kind, bound = rule.bound
    return value > bound if kind.endswith("above") else value < bound


def holds(signals: Mapping[str, Signals], scores: Mapping[str, Mapping[str, float]],
          bases: Mapping[str, Mapping[str, Baseline]], policy: IntegrityPolicy
          ) -> dict[str, tuple[Hold, ...]]:
    """Per producer, the holds its signals trigger under the policy's rules."""
    out: dict[str, tuple[Hold, ...]] = {}
    for pid, s in sorted(signals.items()):
        found = []
        for rule in policy.holds:
            kind, bound = rule.bound
            value = scores[pid][rule.signal] if kind.startswith("score") else s.value(rule.signal)
            if s.sent_bytes >= rule.min_sent_bytes and _passes(rule, Decimal(str(value))):
                found.append(Hold(rule.reason, rule.signal, str(value),
                                  str(bases[s.producer_type][rule.signal].median), str(bound)))
        if found:
            out[pid] = tuple(found)
    return out
