"""Who takes part in a call, as OCDS parties: the buyer (also procuring entity and payer),
the review committee (reviewBody), applicants (tenderer), awardees (supplier, payee)."""

from __future__ import annotations

from typing import Any

from pahna.grants.board import Board
from pahna.grants.models import Applicant, Call, Programme
from pahna.registry.provinces import BY_CODE

SCALE = {"micro": "micro", "small": "sme", "medium": "sme", "large": "large"}
"""partyScale codes for the board's size classes (small and medium are both `sme`)."""


def buyer_id(programme: Programme) -> str:
    return f"IR-GOV-{programme.province}"


def buyer_name(programme: Programme) -> str:
    province = BY_CODE[programme.province].name_en
    return programme.buyer or f"Directorate General of Communications and IT, {province}"


def applicant_party_id(applicant: Applicant) -> str:
    """National registration number for a firm; the board's id for a student team."""
    if applicant.kind == "organisation" and applicant.registration_number:
        return f"IR-NRN-{applicant.registration_number}"
    return f"IR-PAHNA-{applicant.id}"


def reference(party: dict[str, Any]) -> dict[str, Any]:
    return {"id": party["id"], "name": party["name"]}


def applicant_party(applicant: Applicant, roles: list[str]) -> dict[str, Any]:
    party: dict[str, Any] = {"id": applicant_party_id(applicant), "name": applicant.name,
                             "roles": roles,
                             "address": {"region": applicant.province, "countryName": "Iran"}}
    if applicant.registration_number:
        party["identifier"] = {"scheme": "IR-NRN", "id": applicant.registration_number,
                               "legalName": applicant.name}
    if applicant.size:
        party["details"] = {"scale": SCALE[applicant.size]}
    return party


def call_parties(board: Board, call: Call, tenderers: list[str], suppliers: list[str],
                 payees: list[str]) -> list[dict[str, Any]]:
    """The parties of a call's release; lists hold applicant ids in each role."""
    programme = board.programme(call.programme_id)
    parties: list[dict[str, Any]] = [
        {"id": buyer_id(programme), "name": buyer_name(programme),
         "roles": ["buyer", "procuringEntity", "payer"],
         "address": {"region": programme.province, "countryName": "Iran"}},
        {"id": f"{buyer_id(programme)}-review-{call.id}",
         "name": f"Review committee of call {call.id}", "roles": ["reviewBody"]},
    ]
    for applicant_id in dict.fromkeys([*tenderers, *suppliers, *payees]):
        roles = [role for role, ids in (("tenderer", tenderers), ("supplier", suppliers),
                                        ("payee", payees)) if applicant_id in ids]
        parties.append(applicant_party(board.applicant(applicant_id), roles))
    return parties
