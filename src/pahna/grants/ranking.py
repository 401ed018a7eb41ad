"""Review results: each reviewer's weighted score (0..100, exact), recusals, the mean of
the reviewers who may score, the zone bonus, and the ranking of a call."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from pahna.grants.board import Board
from pahna.grants.models import MAX_SCORE, Call, Score


@dataclass(frozen=True)
class Ranked:
    application_id: str
    applicant_id: str
    reviewer_scores: dict[str, Fraction]
    recused: tuple[str, ...]
    bonus: int
    total: Fraction | None
    """Mean of the reviewers' weighted scores plus the zone bonus (None: no score yet)."""


def weighted(call: Call, score: Score) -> Fraction:
    """Σ weight × mark / MAX_SCORE over the call's criteria: 0..100."""
    return sum((Fraction(c.weight * score.marks.get(c.id, 0), MAX_SCORE)
                for c in call.criteria), Fraction(0))


def recused(board: Board, application_id: str) -> tuple[str, ...]:
    """Reviewers whose latest declaration for the application states a conflict."""
    return tuple(sorted(d.reviewer for d in board.declarations(application_id) if d.conflict))


def rank_call(board: Board, call_id: str) -> list[Ranked]:
    """Submitted applications of a call, best first (ties: earlier submission first)."""
    call = board.call(call_id)
    rows = []
    for application in board.applications(call_id):
        if application.status != "submitted":
            continue
        out = recused(board, application.id)
        scores = {s.reviewer: weighted(call, s) for s in board.scores(application.id)
                  if s.reviewer not in out and s.reviewer in call.reviewers}
        applicant = board.applicant(application.applicant_id)
        bonus = call.zone_bonus if (call.zone_rule == "bonus" and applicant.zone == call.zone
                                    ) else 0
        total = (sum(scores.values(), Fraction(0)) / len(scores) + bonus) if scores else None
        rows.append(Ranked(application.id, applicant.id, scores, out, bonus, total))
    submitted = {a.id: board.entry("application", a.id).first.seq
                 for a in board.applications(call_id)}
    return sorted(rows, key=lambda r: (r.total is None, -(r.total or 0),
                                       submitted[r.application_id]))
