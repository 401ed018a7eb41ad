"""What integrity decided about a producer's line, as statements keep it: exclusions and
holds, each with its reason code, its figure, the baseline and the threshold."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Exclusion:
    reason: str  # self_traffic, reciprocal_traffic, hosting_clients
    bytes: int
    figure: str  # the share of sent bytes, or the pair's reciprocity
    threshold: str  # the policy's bound ("" when the rule has none)
    peer_id: str = ""  # the other producer of a reciprocal pair


@dataclass(frozen=True)
class Hold:
    reason: str  # e.g. machine_share_above
    signal: str
    figure: str  # the signal's value (or z-score, for score rules)
    baseline: str  # the median of the producer type
    threshold: str
