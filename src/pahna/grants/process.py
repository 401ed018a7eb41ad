"""The steps of the grant process. Each reads the board, checks the process's rules and
appends one revision (or refuses with GrantRuleError saying why); nothing is deleted.

programme → call → applicant → application (with documents) → conflict declarations and
scores → award → agreement with milestones → milestone reports accepted or rejected →
tranche payments (payments.py) → completion or termination.
"""

from __future__ import annotations

import hashlib
import time

from sqlalchemy import Engine

from pahna.errors import GrantRuleError
from pahna.grants.board import Board, load_board
from pahna.grants.history import Author, Revision, append
from pahna.grants.models import (
    Agreement,
    Applicant,
    Application,
    Award,
    Call,
    Declaration,
    Programme,
    Report,
    Score,
)
from pahna.iban import normalize_iban
from pahna.registry.producers import list_zones
from pahna.registry.provinces import BY_CODE

DECLARATIONS = ("true_information", "no_double_funding")
"""What every applicant declares when applying."""


def now_of(author: Author) -> int:
    return author.at_ms if author.at_ms is not None else time.time_ns() // 1_000_000


def _zone_in(engine: Engine, zone: str | None, province: str) -> None:
    if zone is None:
        return
    zones = {z.id: z for z in list_zones(engine)}
    if zone not in zones:
        raise GrantRuleError(f"no special IT zone {zone!r} in the registry")
    if zones[zone].province != province:
        raise GrantRuleError(f"zone {zone!r} is in {zones[zone].province}, not {province}")


def put_programme(engine: Engine, programme: Programme, author: Author,
                  reason: str = "programme opened") -> Revision:
    if programme.province not in BY_CODE:
        raise GrantRuleError(f"no province {programme.province!r}")
    _zone_in(engine, programme.zone, programme.province)
    return append(engine, "programme", programme, author, reason)


def put_call(engine: Engine, call: Call, author: Author, reason: str = "call opened"
             ) -> Revision:
    board = load_board(engine)
    programme = board.programme(call.programme_id)
    if call.zone:
        _zone_in(engine, call.zone, programme.province)
    if programme.zone and call.zone_rule == "restricted" and call.zone != programme.zone:
        raise GrantRuleError(f"programme {programme.id} is for zone {programme.zone}")
    if call.max_award_rial > programme.budget_rial:
        raise GrantRuleError("the maximum award exceeds the programme's budget")
    if board.has("call", call.id) and board.call(call.id).programme_id != call.programme_id:
        raise GrantRuleError(f"call {call.id} cannot move to another programme")
    return append(engine, "call", call, author, reason)


def close_call_now(engine: Engine, call_id: str, author: Author, reason: str) -> Revision:
    """End a call's window now (a new revision of the call); refused before it opens."""
    call = load_board(engine).call(call_id)
    now = now_of(author)
    if call.status == "cancelled":
        raise GrantRuleError(f"call {call_id} is cancelled")
    if now <= call.opens_ms or now >= call.closes_ms:
        raise GrantRuleError(f"call {call_id} is not open now")
    return append(engine, "call", call.model_copy(update={"closes_ms": now}), author, reason)


def cancel_call(engine: Engine, call_id: str, author: Author, reason: str) -> Revision:
    """Cancel a call (a new revision, status cancelled; OCDS tenderCancellation): it takes
    no more applications; refused once it has an active award, and without a reason."""
    board = load_board(engine)
    call = board.call(call_id)
    if call.status == "cancelled":
        raise GrantRuleError(f"call {call_id} is already cancelled")
    if any(a.status == "active" for a in board.awards(call_id)):
        raise GrantRuleError(f"call {call_id} has active awards: cancel them first")
    if not reason.strip():
        raise GrantRuleError("a cancellation needs its reason")
    return append(engine, "call", call.model_copy(update={"status": "cancelled"}), author,
                  f"call cancelled: {reason}")


def check_place(engine: Engine, applicant: Applicant) -> None:
    """The applicant's province and zone exist, and the zone is in the province."""
    if applicant.province not in BY_CODE:
        raise GrantRuleError(f"no province {applicant.province!r}")
    _zone_in(engine, applicant.zone, applicant.province)


def put_applicant(engine: Engine, applicant: Applicant, author: Author,
                  reason: str = "applicant registered") -> Revision:
    check_place(engine, applicant)
    if applicant.iban:
        applicant = applicant.model_copy(update={"iban": normalize_iban(applicant.iban)})
    return append(engine, "applicant", applicant, author, reason)


def application_id(call_id: str, applicant_id: str) -> str:
    """One application per applicant and call: `app-` and 12 hex digits of their hash."""
    digest = hashlib.sha256(f"{call_id}/{applicant_id}".encode()).hexdigest()
    return f"app-{digest[:12]}"


def check_eligible(board: Board, call: Call, applicant: Applicant) -> None:
    if applicant.kind not in call.eligible:
        raise GrantRuleError(f"call {call.id} is not open to {applicant.kind}s")
    if applicant.kind == "organisation" and applicant.size not in call.sizes:
        raise GrantRuleError(f"call {call.id} is not open to {applicant.size} firms")
    if call.zone_rule == "restricted" and applicant.zone != call.zone:
        raise GrantRuleError(f"call {call.id} is limited to firms in zone {call.zone}")
    if applicant.province != board.province_of_call(call.id):
        raise GrantRuleError(f"call {call.id} is for applicants of "
                             f"{board.province_of_call(call.id)}")


def check_application(board: Board, application: Application, now_ms: int) -> None:
    """Every rule of a submission except its documents (checked before any upload)."""
    call = board.call(application.call_id)
    applicant = board.applicant(application.applicant_id)
    if call.status != "open" or not call.opens_ms <= now_ms < call.closes_ms:
        raise GrantRuleError(f"call {call.id} does not take applications now")
    check_eligible(board, call, applicant)
    if application.id != application_id(call.id, applicant.id):
        raise GrantRuleError(f"application id must be {application_id(call.id, applicant.id)}")
    if application.requested_rial > call.max_award_rial:
        raise GrantRuleError(f"the request exceeds the call's maximum of "
                             f"{call.max_award_rial} rials")
    missing = set(DECLARATIONS) - set(application.declarations)
    if missing:
        raise GrantRuleError(f"missing declarations: {', '.join(sorted(missing))}")


def submit(engine: Engine, application: Application, author: Author,
           reason: str = "application submitted") -> Revision:
    board = load_board(engine)
    check_application(board, application, now_of(author))
    call = board.call(application.call_id)
    have = {d.doc_type for d in board.documents(application.id) if d.id in application.documents}
    if set(call.required_documents) - have:
        raise GrantRuleError("missing documents: "
                             + ", ".join(sorted(set(call.required_documents) - have)))
    return append(engine, "application", application, author, reason)


def withdraw(engine: Engine, application_id: str, author: Author,
             reason: str = "application withdrawn") -> Revision:
    """The applicant withdraws (a new revision, status withdrawn; OCDS tenderUpdate):
    refused once withdrawn or awarded. Sending it again while the call is open resubmits."""
    board = load_board(engine)
    application = board.application(application_id)
    if application.status == "withdrawn":
        raise GrantRuleError(f"{application_id} is already withdrawn")
    if any(a.application_id == application_id and a.status == "active"
           for a in board.awards(application.call_id)):
        raise GrantRuleError(f"{application_id} has an active award")
    return append(engine, "application", application.model_copy(
        update={"status": "withdrawn"}), author, reason)


def _reviewer_of(board: Board, application_id: str, reviewer: str) -> Call:
    call = board.call(board.application(application_id).call_id)
    if reviewer not in call.reviewers:
        raise GrantRuleError(f"{reviewer} is not a reviewer of call {call.id}")
    return call


def declare(engine: Engine, declaration: Declaration, author: Author) -> Revision:
    """A reviewer's conflict-of-interest declaration; a conflict recuses the reviewer."""
    board = load_board(engine)
    _reviewer_of(board, declaration.application_id, declaration.reviewer)
    if any(d.conflict for d in board.declarations(declaration.application_id)
           if d.reviewer == declaration.reviewer):
        raise GrantRuleError(f"{declaration.reviewer} is recused from "
                             f"{declaration.application_id} for good")
    if declaration.conflict and not declaration.reason:
        raise GrantRuleError("a conflict needs its reason")
    reason = "conflict declared: recused" if declaration.conflict else "no conflict declared"
    return append(engine, "declaration", declaration, author, reason)


def declaration_id(application_id: str, reviewer: str) -> str:
    return f"{application_id}:{reviewer}"


def put_score(engine: Engine, score: Score, author: Author) -> Revision:
    board = load_board(engine)
    call = _reviewer_of(board, score.application_id, score.reviewer)
    stated = [d for d in board.declarations(score.application_id)
              if d.reviewer == score.reviewer]
    if not stated:
        raise GrantRuleError("declare any conflict of interest before scoring")
    if stated[-1].conflict:
        raise GrantRuleError(f"{score.reviewer} is recused from {score.application_id}")
    if set(score.marks) != {c.id for c in call.criteria}:
        raise GrantRuleError("score every criterion of the call, and only those")
    if board.application(score.application_id).status != "submitted":
        raise GrantRuleError("the application was withdrawn")
    if board.awards(call.id):
        raise GrantRuleError(f"call {call.id} has awards: its scores are final")
    return append(engine, "score", score, author, "scored")


def put_award(engine: Engine, award: Award, author: Author, reason: str = "award published"
              ) -> Revision:
    """Publish an award, or a later revision of it (then `reason` says why it changed)."""
    board = load_board(engine)
    call = board.call(award.call_id)
    application = board.application(award.application_id)
    if now_of(author) < call.closes_ms:
        raise GrantRuleError(f"call {call.id} is still open")
    if call.status == "cancelled":
        raise GrantRuleError(f"call {call.id} is cancelled")
    if application.call_id != call.id or application.status != "submitted":
        raise GrantRuleError(f"{application.id} is not a submitted application of {call.id}")
    if award.amount_rial > min(call.max_award_rial, application.requested_rial):
        raise GrantRuleError("an award cannot exceed the request or the call's maximum")
    if not board.scores(application.id):
        raise GrantRuleError(f"{application.id} has not been scored")
    other = next((a for a in board.awards(call.id) if a.application_id == application.id
                  and a.id != award.id), None)
    if other is not None:
        raise GrantRuleError(f"{application.id} already has award {other.id}: revise it")
    programme = board.programme(call.programme_id)
    others = sum(a.amount_rial for a in board.awards() if a.status == "active"
                 and a.id != award.id and board.call(a.call_id).programme_id == programme.id)
    if award.status == "active" and others + award.amount_rial > programme.budget_rial:
        raise GrantRuleError(f"awards would exceed programme {programme.id}'s budget")
    if board.has("award", award.id) and reason == "award published":
        reason = "award revised"
    return append(engine, "award", award, author, reason)


def sign(engine: Engine, agreement: Agreement, author: Author,
         reason: str = "agreement signed") -> Revision:
    board = load_board(engine)
    award = board.award(agreement.award_id)
    if award.status != "active":
        raise GrantRuleError(f"award {award.id} is not active")
    if agreement.value_rial > award.amount_rial:
        raise GrantRuleError("the agreement's value exceeds the award")
    held = board.agreement_of_award(award.id)
    if held is not None and held.id != agreement.id:
        raise GrantRuleError(f"award {award.id} already has agreement {held.id}")
    return append(engine, "agreement", agreement, author, reason)


def report_id(agreement_id: str, milestone_id: str) -> str:
    return f"{agreement_id}:{milestone_id}"


def put_report(engine: Engine, report: Report, author: Author) -> Revision:
    board = load_board(engine)
    agreement = board.agreement(report.agreement_id)
    if agreement.status != "active" or agreement.milestone(report.milestone_id) is None:
        raise GrantRuleError(f"no open milestone {report.milestone_id} in {agreement.id}")
    if report.id != report_id(agreement.id, report.milestone_id):
        raise GrantRuleError("report id must be AGREEMENT:MILESTONE")
    if board.has("report", report.id) and board.find(
            Report, "report", report.id).decision == "accepted":
        raise GrantRuleError(f"milestone {report.milestone_id} was already accepted")
    return append(engine, "report", report.model_copy(update={"decision": "pending"}),
                  author, "milestone reported")


def decide_report(engine: Engine, report_key: str, accept: bool, reason: str,
                  author: Author) -> Revision:
    board = load_board(engine)
    report = board.find(Report, "report", report_key)
    if report.decision != "pending":
        raise GrantRuleError(f"report {report_key} was already {report.decision}")
    decision = "accepted" if accept else "rejected"
    return append(engine, "report", report.model_copy(
        update={"decision": decision, "decision_reason": reason}), author,
        f"milestone {decision}")


def close_agreement(engine: Engine, agreement_id: str, completed: bool, reason: str,
                    author: Author) -> Revision:
    """Completion (every milestone accepted) or termination (with its reason)."""
    board = load_board(engine)
    agreement = board.agreement(agreement_id)
    if agreement.status != "active":
        raise GrantRuleError(f"agreement {agreement_id} is already {agreement.status}")
    accepted = {r.milestone_id for r in board.reports(agreement_id) if r.decision == "accepted"}
    if completed and accepted != {m.id for m in agreement.milestones}:
        raise GrantRuleError("an agreement completes when every milestone is accepted")
    status = "completed" if completed else "terminated"
    return append(engine, "agreement", agreement.model_copy(
        update={"status": status, "closing_reason": reason}), author, f"agreement {status}")
