"""A month under review: the engine's sums in, signals, scores, exclusions and holds out,
and the usage table with the excluded bytes taken out (what pricing then sees)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from pahna.aggregate.base import Engine
from pahna.aggregate.queries import GROUP_KEYS, UsageQuery
from pahna.aggregate.signals import SignalRequest, SignalRules, changing_prefixes
from pahna.attribute.hosting import HostingIndex
from pahna.calendar import JalaliMonth
from pahna.integrity.decisions import exclusions, holds, remove_excluded
from pahna.integrity.evidence import evidence
from pahna.integrity.policy import IntegrityPolicy
from pahna.integrity.records import Exclusion, Hold
from pahna.integrity.scores import Baseline, baselines, scores
from pahna.integrity.signals import MonthFrame, Signals, claim_change_days, compute_signals
from pahna.ledger.basis import Basis
from pahna.registry.rules import rules_from_snapshot
from pahna.schema import BIN_MS
from pahna.settle.statements import Reviewed
from pahna.settle.usage import ProducerUsage


@dataclass(frozen=True)
class IntegrityReport:
    signals: dict[str, Signals]
    scores: dict[str, dict[str, float]]
    baselines: dict[str, dict[str, Baseline]]
    exclusions: dict[str, tuple[Exclusion, ...]]
    holds: dict[str, tuple[Hold, ...]]
    evidence: dict[str, dict[str, Any]] = field(default_factory=dict)

    def document(self) -> dict[str, Any]:
        """Plain JSON of the signals, scores and baselines, and the held producers'
        evidence when there are holds (statements keep it; the exclusions and holds are
        on each producer's line)."""
        out = {"signals": {pid: s.document() for pid, s in sorted(self.signals.items())},
               "scores": dict(sorted(self.scores.items())),
               "baselines": {kind: {name: asdict(b) for name, b in sorted(by.items())}
                             for kind, by in sorted(self.baselines.items())}}
        if self.evidence:
            out["evidence"] = dict(sorted(self.evidence.items()))
        return out


@dataclass(frozen=True)
class MonthUnderReview:
    files: list[Path]
    query: UsageQuery
    rules: SignalRules
    frame: MonthFrame
    previous_sent: Mapping[str, int]


def review_month(engine: Engine, month: MonthUnderReview, policy: IntegrityPolicy,
                 usage: Sequence[ProducerUsage], usage_table: pa.Table,
                 sums: Mapping[str, pa.Table] | None = None
                 ) -> tuple[IntegrityReport, pa.Table]:
    """Signals of every producer of `usage` (the month as counted), the policy's
    decisions, and `usage_table` less the excluded bytes. `sums`: the engine's
    integrity sums when settlement's pass made them (`signal_request`), else the
    engine makes them."""
    tables = sums if sums is not None else engine.signals(
        month.files, month.query, month.rules, policy.machine_min_repeats)
    signals = compute_signals(usage, tables, month.frame, month.previous_sent)
    bases = baselines(signals)
    z = scores(signals, bases)
    excluded, cells = exclusions(tables["excludable"], tables["peers"], signals, policy)
    held = holds(signals, z, bases, policy)
    report = IntegrityReport(signals, z, bases, excluded, held,
                             evidence(usage, tables["networks"], month.frame, held))
    return report, remove_excluded(usage_table, cells)


def month_under_review(files: list[Path], month: JalaliMonth, basis: Basis
                       ) -> MonthUnderReview:
    """A month under its basis' rules and hosting lists, as integrity reviews it."""
    return MonthUnderReview(
        files, UsageQuery(str(month), month.start_ms, month.end_ms, GROUP_KEYS),
        SignalRules(rules_from_snapshot(basis.rules), HostingIndex(basis.hosting),
                    changing_prefixes(basis.rules["claims"], month.start_ms, month.end_ms)),
        MonthFrame(month.start_ms, (month.end_ms - month.start_ms) // BIN_MS,
                   claim_change_days(basis.rules["claims"], month.start_ms, month.days)),
        basis.previous_sent)


def signal_request(under_review: MonthUnderReview, policy: IntegrityPolicy) -> SignalRequest:
    """What to ask of settlement's pass so that it makes integrity's sums too."""
    return SignalRequest(under_review.rules, policy.machine_min_repeats)


def review_basis(engine: Engine, under_review: MonthUnderReview, basis: Basis,
                 counted: Sequence[ProducerUsage], usage_table: pa.Table,
                 sums: Mapping[str, pa.Table] | None = None) -> tuple[Reviewed, pa.Table]:
    """Review a month under its basis' policy (`month_under_review`): what settlement
    carries (the document, each line's exclusions and holds) and the usage it prices."""
    assert basis.tariff.integrity is not None
    report, usage = review_month(engine, under_review, basis.tariff.integrity, counted,
                                 usage_table, sums)
    return Reviewed(report.document(), report.exclusions, report.holds), usage
