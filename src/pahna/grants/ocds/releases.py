"""One OCDS release for every event of a call, built from the board as it stood just
after the event: the call opened or changed (tender), applications (bids), awards,
agreements with their milestones, milestone decisions and tranche payments
(implementation). Each release carries the whole process as then known, so a compiled
record is simply the latest state; nothing the board publishes is ever withdrawn.

Applications are counted while a call is open and named, with their requests, once it
has closed (as Prozorro does); reviewers' scores are not published in OCDS."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from pahna.grants.board import Board, replay
from pahna.grants.config import GrantSettings
from pahna.grants.history import Revision
from pahna.grants.models import Agreement, Call, Report
from pahna.grants.ocds.parties import (
    applicant_party,
    applicant_party_id,
    buyer_id,
    buyer_name,
    call_parties,
    reference,
)

CURRENCY = "IRR"
PUBLISHING_KINDS = ("programme", "call", "application", "award", "agreement", "report",
                    "payment")


def iso(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def money(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": CURRENCY}


def ocid(settings: GrantSettings, call_id: str) -> str:
    return f"{settings.ocid_prefix}-{call_id}"


def all_releases(history: list[Revision], settings: GrantSettings) -> list[dict[str, Any]]:
    """Every release the board publishes, in chain order."""
    return list(_releases(history, settings))


def _releases(history: list[Revision], settings: GrantSettings) -> Iterator[dict[str, Any]]:
    seen: set[tuple[str, str]] = set()
    for revision, board in replay(history):
        if revision.kind not in PUBLISHING_KINDS:
            continue
        for call_id in _calls_touched(board, revision):
            tag = _tag(board, revision, seen, call_id)
            yield build_release(board, board.call(call_id), revision, tag, settings)


def _calls_touched(board: Board, revision: Revision) -> list[str]:
    if revision.kind == "programme":  # a budget change updates every call's planning
        return [c.id for c in board.calls() if c.programme_id == revision.entity_id
                and board.entry("call", c.id).first.seq < revision.seq]
    call_id = board.call_of(revision.kind, revision.entity_id)
    return [call_id] if call_id else []


def _tag(board: Board, revision: Revision, seen: set[tuple[str, str]], call_id: str
         ) -> list[str]:
    kind, first = revision.kind, revision.revision == 1
    if kind == "programme":
        return ["planningUpdate"]
    if kind == "call":
        if board.call(call_id).status == "cancelled":
            return ["tenderCancellation"]
        return ["planning", "tender"] if first else ["tenderAmendment"]
    if kind == "application":
        return ["tenderUpdate"]
    if kind == "award":
        if board.award(revision.entity_id).status == "cancelled":
            return ["awardCancellation"]
        return ["award"] if first else ["awardUpdate"]
    if kind == "agreement":
        status = board.agreement(revision.entity_id).status
        return ["contract"] if first else (
            ["contractTermination"] if status != "active" else ["contractAmendment"])
    agreement_id = str(revision.body["agreement_id"])
    key = ("implementation", agreement_id)
    opening = key not in seen
    seen.add(key)
    return ["implementation"] if opening else ["implementationUpdate"]


def build_release(board: Board, call: Call, revision: Revision, tag: list[str],
                  settings: GrantSettings) -> dict[str, Any]:
    """The release of `call` for `revision`, as the board stood just after it."""
    programme = board.programme(call.programme_id)
    the_ocid = ocid(settings, call.id)
    closed = revision.at_ms >= call.closes_ms
    applications = board.applications(call.id)
    awards = board.awards(call.id)
    agreements = [a for a in board.agreements() if board.award(a.award_id).call_id == call.id]
    suppliers = [board.application(a.application_id).applicant_id for a in awards
                 if a.status == "active"]
    payees = [board.applicant_of_agreement(a).id for a in agreements]
    tenderers = [a.applicant_id for a in applications] if closed else []
    release: dict[str, Any] = {
        "ocid": the_ocid, "id": f"{the_ocid}-{revision.seq:06d}", "date": iso(revision.at_ms),
        "tag": tag, "initiationType": "tender", "language": "en",
        "parties": call_parties(board, call, tenderers, suppliers, payees),
        "buyer": {"id": buyer_id(programme), "name": buyer_name(programme)},
        "planning": {"budget": {
            "id": programme.id, "description": programme.title, "amount":
            money(programme.budget_rial), "project": programme.title,
            "projectID": programme.id}},
        "tender": _tender(board, call, revision, len(applications) if closed else None),
        "bids": _bids(board, call, closed, revision),
    }
    if awards:
        release["awards"] = [_award(board, a) for a in awards]
    if agreements:
        release["contracts"] = [_contract(board, a) for a in agreements]
    return release


def _tender(board: Board, call: Call, revision: Revision, tenderers: int | None
            ) -> dict[str, Any]:
    programme = board.programme(call.programme_id)
    weights = ", ".join(f"{c.name} {c.weight}%" for c in call.criteria)
    eligibility = "Open to " + " and ".join(
        "firms (" + "/".join(call.sizes) + ")" if k == "organisation" else "student teams"
        for k in call.eligible) + f" of {programme.province}"
    if call.zone_rule == "restricted":
        eligibility += f", located in special IT zone {call.zone}"
    elif call.zone_rule == "bonus":
        eligibility += f"; {call.zone_bonus} bonus points in special IT zone {call.zone}"
    status = ("cancelled" if call.status == "cancelled" else
              "complete" if board.awards(call.id) else "active")
    tender: dict[str, Any] = {
        "id": call.id, "title": call.title, "description": call.scope or call.title,
        "status": status, "procuringEntity": {"id": buyer_id(programme),
                                              "name": buyer_name(programme)},
        "value": money(call.max_award_rial), "procurementMethod": "open",
        "procurementMethodDetails": "Call for proposals for non-refundable grants",
        "mainProcurementCategory": "services", "awardCriteria": "ratedCriteria",
        "awardCriteriaDetails": weights, "submissionMethod": ["electronicSubmission"],
        "eligibilityCriteria": eligibility,
        "tenderPeriod": {"startDate": iso(call.opens_ms), "endDate": iso(call.closes_ms)},
        "hasEnquiries": False,
    }
    if tenderers is not None:
        tender["numberOfTenderers"] = tenderers
        tender["tenderers"] = [reference(applicant_party(board.applicant(a.applicant_id), []))
                               for a in board.applications(call.id)]
    return tender


def _bids(board: Board, call: Call, closed: bool, revision: Revision) -> dict[str, Any]:
    applications = board.applications(call.id)
    live = [a for a in applications if a.status == "submitted"]
    bids: dict[str, Any] = {"statistics": [
        {"id": "applications", "measure": "bids", "value": len(live),
         "date": iso(revision.at_ms)}]}
    if closed:
        bids["details"] = [{
            "id": a.id, "date": iso(board.entry("application", a.id).first.at_ms),
            "status": "valid" if a.status == "submitted" else "withdrawn",
            "tenderers": [reference(applicant_party(board.applicant(a.applicant_id), []))],
            "value": money(a.requested_rial)} for a in applications]
    return bids


def _award(board: Board, award: Any) -> dict[str, Any]:
    applicant = board.applicant(board.application(award.application_id).applicant_id)
    return {"id": award.id, "title": f"Grant to {applicant.name}", "description":
            award.reasons, "status": "active" if award.status == "active" else "cancelled",
            "date": iso(board.entry("award", award.id).first.at_ms),
            "value": money(award.amount_rial),
            "suppliers": [{"id": applicant_party_id(applicant), "name": applicant.name}],
            "relatedBids": [award.application_id]}


def _contract(board: Board, agreement: Agreement) -> dict[str, Any]:
    reports = {r.milestone_id: r for r in board.reports(agreement.id)}
    applicant = board.applicant_of_agreement(agreement)
    programme = board.programme(board.call(board.award(agreement.award_id).call_id)
                                .programme_id)
    milestones = [_milestone(m, reports.get(m.id), board) for m in agreement.milestones]
    titles = {m.id: m.title for m in agreement.milestones}
    transactions = [{
        "id": p.id, "source": f"urn:pahna:payment-batch:{p.batch}",
        "date": iso(board.entry("payment", p.id).first.at_ms), "value": money(p.amount_rial),
        "payer": {"id": buyer_id(programme), "name": buyer_name(programme)},
        "payee": {"id": applicant_party_id(applicant), "name": applicant.name},
        "relatedImplementationMilestone": {"id": p.milestone_id,
                                           "title": titles.get(p.milestone_id)},
    } for p in board.payments(agreement.id) if p.status != "rejected"]
    status = {"active": "active", "completed": "terminated", "terminated": "terminated"}
    contract: dict[str, Any] = {
        "id": agreement.id, "awardID": agreement.award_id,
        "title": f"Grant agreement {agreement.id}", "status": status[agreement.status],
        "value": money(agreement.value_rial), "dateSigned": iso(agreement.signed_ms),
        "period": {"startDate": iso(agreement.signed_ms),
                   "endDate": iso(max(m.due_ms for m in agreement.milestones))},
        "implementation": {"milestones": milestones, "transactions": transactions},
    }
    if agreement.status != "active":
        contract["description"] = f"{agreement.status}: {agreement.closing_reason}"
    return contract


def _milestone(milestone: Any, report: Report | None, board: Board) -> dict[str, Any]:
    status = {"accepted": "met", "rejected": "notMet"}.get(
        report.decision if report else "", "scheduled")
    out: dict[str, Any] = {
        "id": milestone.id, "title": milestone.title, "type": "delivery",
        "description": f"{milestone.deliverable or milestone.title} (tranche "
                       f"{milestone.tranche_rial} {CURRENCY})",
        "dueDate": iso(milestone.due_ms), "status": status}
    if report is not None:
        out["dateModified"] = iso(board.entry("report", report.id).last.at_ms)
        if report.decision == "accepted":
            out["dateMet"] = out["dateModified"]
    return out
