"""The integrity policy: the `[integrity]` part of a tariff document (versioned,
effective-dated and sealed with it), which says what bytes are excluded before pricing
and when a producer's payable amount is held for review. See docs/integrity.md.

    [integrity]
    exclude_self = true                  # bytes to clients inside the producer's claims
    exclude_hosting = true               # bytes to clients in the hosting list in force
    exclude_reciprocity_at = "0.5"       # both directions of a pair of producers whose
                                         # min(A->B, B->A) / max(...) is at least this
    machine_min_repeats = 10             # flows of one size to one client network
    [[integrity.holds]]
    signal = "machine_share"
    above = "0.3"                        # the signal's value passes this, or
    [[integrity.holds]]
    signal = "top10_share"
    score_above = "3.5"                  # its modified z-score within the producer type
    min_sent_bytes = 1000000000          # only producers sending at least this much
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal, get_args

from pydantic import Field, model_validator

from pahna.settle.terms import Amount, Count, TermsModel

SignalName = Literal[
    "self_share", "peer_share", "max_reciprocity", "top10_share", "herfindahl", "entropy",
    "client_networks", "hosting_share", "flatness", "daily_correlation", "change_points",
    "step_ratio", "growth", "machine_share", "send_receive_ratio", "night_ratio",
    "network_excess", "records", "step_z", "night_z", "record_excess",
]
SIGNAL_NAMES: tuple[str, ...] = get_args(SignalName)
"""Every signal a hold may name (docs/integrity.md gives each one's formula)."""

EXCLUSION_REASONS = ("self_traffic", "reciprocal_traffic", "hosting_clients")


class HoldRule(TermsModel):
    """Hold a producer's line when its signal passes a bound: on the value (`above`,
    `below`) or on its modified z-score within the producer type (`score_above`,
    `score_below`). Exactly one bound per rule."""

    signal: SignalName
    above: Amount | None = None
    below: Amount | None = None
    score_above: Amount | None = None
    score_below: Decimal | None = Field(None, description="A z-score; may be negative.")
    min_sent_bytes: Count = Field(0, description="Only producers sending this much.")

    @model_validator(mode="after")
    def _one_bound(self) -> HoldRule:
        bounds = [b for b in (self.above, self.below, self.score_above, self.score_below)
                  if b is not None]
        if len(bounds) != 1:
            raise ValueError(f"hold on {self.signal}: give exactly one of above, below, "
                             "score_above, score_below")
        return self

    @property
    def bound(self) -> tuple[str, Decimal]:
        """(kind, threshold): kind is above, below, score_above or score_below."""
        for kind in ("above", "below", "score_above", "score_below"):
            value = getattr(self, kind)
            if value is not None:
                return kind, value
        raise AssertionError("validated: one bound")

    @property
    def reason(self) -> str:
        """The reason code a hold by this rule carries, e.g. machine_share_above."""
        return f"{self.signal}_{self.bound[0]}"


class IntegrityPolicy(TermsModel):
    exclude_self: bool = False
    exclude_hosting: bool = False
    exclude_reciprocity_at: Amount | None = Field(
        None, description="Exclude both directions of a pair at this reciprocity or more.")
    machine_min_repeats: int = Field(10, strict=True, ge=2, le=1_000_000)
    holds: tuple[HoldRule, ...] = ()

    @model_validator(mode="after")
    def _ratio(self) -> IntegrityPolicy:
        if self.exclude_reciprocity_at is not None and not (
                0 < self.exclude_reciprocity_at <= 1):
            raise ValueError("exclude_reciprocity_at is a reciprocity in (0, 1]")
        return self

    def excludes(self) -> tuple[str, ...]:
        """The exclusion reasons this policy applies."""
        chosen = (("self_traffic", self.exclude_self),
                  ("reciprocal_traffic", self.exclude_reciprocity_at is not None),
                  ("hosting_clients", self.exclude_hosting))
        return tuple(reason for reason, on in chosen if on)
