"""Red flags on the board, computed from the records (never stored, so they follow every
revision): a call with a single applicant, a short window, awards concentrated on one
firm or on firms that share an IBAN or owner, awards split just under a threshold, and a
reviewer who scored an application far from the other reviewers.

ocdscardinal (the Open Contracting Partnership's red-flag tool) computes such indicators
from OCDS files through its command line, not its Python module; the board's indicators
need what OCDS does not publish (IBANs, owners, per-reviewer scores), so they are
computed here, each named after the indicator it follows."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction

from pahna.grants.board import Board
from pahna.grants.config import GrantSettings
from pahna.grants.models import Applicant
from pahna.grants.ranking import recused, weighted

DAY_MS = 86_400_000
CODES = ("single_applicant", "short_window", "concentration", "shared_identity",
         "split_award", "reviewer_outlier")


@dataclass(frozen=True)
class Flag:
    code: str
    call_id: str | None
    subject: str
    detail: str


def red_flags(board: Board, settings: GrantSettings, now_ms: int) -> list[Flag]:
    """Every flag the board raises now."""
    return [*_calls(board, settings, now_ms), *_identities(board), *_concentration(
        board, settings), *_splits(board, settings), *_outliers(board, settings)]


def _calls(board: Board, settings: GrantSettings, now_ms: int) -> list[Flag]:
    flags = []
    for call in board.calls():
        days = Fraction(call.closes_ms - call.opens_ms, DAY_MS)
        if days < settings.short_window_days:
            flags.append(Flag("short_window", call.id, call.id,
                              f"open {float(days):.1f} days (fewer than "
                              f"{settings.short_window_days})"))
        live = [a for a in board.applications(call.id) if a.status == "submitted"]
        if now_ms >= call.closes_ms and len(live) == 1:
            flags.append(Flag("single_applicant", call.id, live[0].applicant_id,
                              "the only application the call received"))
    return flags


def _awarded(board: Board) -> dict[str, int]:
    """Active awarded rials per applicant."""
    totals: dict[str, int] = defaultdict(int)
    for award in board.awards():
        if award.status == "active":
            totals[board.application(award.application_id).applicant_id] += award.amount_rial
    return totals


def _links(applicants: list[Applicant]) -> dict[str, set[str]]:
    """Applicants tied by the same IBAN or owner, each mapped to its whole group."""
    groups: dict[str, set[str]] = {a.id: {a.id} for a in applicants}
    for key in ("iban", "owner"):
        by_value: dict[str, list[str]] = defaultdict(list)
        for a in applicants:
            value = getattr(a, key)
            if value:
                by_value[str(value).strip().lower()].append(a.id)
        for ids in by_value.values():
            merged = set().union(*(groups[i] for i in ids))
            for member in merged:
                groups[member] = merged
    return groups


def _identities(board: Board) -> list[Flag]:
    awarded = _awarded(board)
    groups = _links(board.applicants())
    seen: set[frozenset[str]] = set()
    flags = []
    for members in groups.values():
        winners = frozenset(m for m in members if m in awarded)
        if len(winners) > 1 and winners not in seen:
            seen.add(winners)
            flags.append(Flag("shared_identity", None, ", ".join(sorted(winners)),
                              "awarded firms share an IBAN or an owner"))
    return flags


def _concentration(board: Board, settings: GrantSettings) -> list[Flag]:
    awarded = _awarded(board)
    groups = _links(board.applicants())
    flags = []
    for programme in board.programmes():
        by_group: dict[frozenset[str], int] = defaultdict(int)
        total = 0
        for award in board.awards():
            if award.status != "active" or board.call(
                    award.call_id).programme_id != programme.id:
                continue
            applicant = board.application(award.application_id).applicant_id
            by_group[frozenset(groups[applicant])] += award.amount_rial
            total += award.amount_rial
        for members, amount in sorted(by_group.items(), key=lambda kv: sorted(kv[0])):
            if total and amount * 100 > settings.concentration_percent * total:
                names = ", ".join(sorted(m for m in members if m in awarded))
                flags.append(Flag("concentration", None, names,
                                  f"{amount * 100 // total}% of programme {programme.id}'s "
                                  "awarded money"))
    return flags


def _splits(board: Board, settings: GrantSettings) -> list[Flag]:
    """Several awards just under the threshold to one firm, or to firms tied together."""
    low = settings.split_threshold_rial * (100 - settings.split_margin_percent) // 100
    groups = _links(board.applicants())
    near: dict[frozenset[str], list[str]] = defaultdict(list)
    for award in board.awards():
        if award.status == "active" and low <= award.amount_rial < settings.split_threshold_rial:
            applicant = board.application(award.application_id).applicant_id
            near[frozenset(groups[applicant])].append(award.id)
    return [Flag("split_award", None, ", ".join(sorted(members)),
                 f"{len(ids)} awards just under the {settings.split_threshold_rial} rial "
                 f"threshold: {', '.join(sorted(ids))}")
            for members, ids in sorted(near.items(), key=lambda kv: sorted(kv[0]))
            if len(ids) > 1]


def _outliers(board: Board, settings: GrantSettings) -> list[Flag]:
    flags = []
    for application in board.applications():
        call = board.call(application.call_id)
        out = recused(board, application.id)
        scores = {s.reviewer: weighted(call, s) for s in board.scores(application.id)
                  if s.reviewer not in out}
        if len(scores) < 3:
            continue
        for reviewer, value in sorted(scores.items()):
            others = [v for r, v in scores.items() if r != reviewer]
            mean = sum(others, Fraction(0)) / len(others)
            if abs(value - mean) > settings.outlier_points:
                flags.append(Flag("reviewer_outlier", call.id, reviewer,
                                  f"scored {application.id} {float(value):.0f} of 100; the "
                                  f"others {float(mean):.0f} on average"))
    return flags
