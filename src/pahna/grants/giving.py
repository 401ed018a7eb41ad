"""Awards as a flat CSV in the shape of the 360Giving Data Standard (one row per grant,
its columns named as 360Giving names them), the board's second export."""

from __future__ import annotations

import csv
import io

from pahna.grants.board import Board
from pahna.grants.config import GrantSettings
from pahna.grants.ocds.parties import applicant_party_id, buyer_id, buyer_name
from pahna.grants.ocds.releases import iso, ocid

COLUMNS = (
    "Identifier", "Title", "Description", "Currency", "Amount Awarded", "Award Date",
    "Recipient Org:Identifier", "Recipient Org:Name", "Recipient Org:Size",
    "Recipient Org:Location:0:Geographic Code", "Recipient Type", "Student Team Members",
    "Funding Org:Identifier", "Funding Org:Name", "Grant Programme:Code",
    "Grant Programme:Title", "Special IT Zone", "Status", "OCDS ocid", "Last Modified",
)
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    """A cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def awards_csv(board: Board, settings: GrantSettings) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for award in sorted(board.awards(), key=lambda a: a.id):
        call = board.call(award.call_id)
        programme = board.programme(call.programme_id)
        applicant = board.applicant(board.application(award.application_id).applicant_id)
        entry = board.entry("award", award.id)
        writer.writerow(_cell(v) for v in (
            f"{settings.ocid_prefix}-{award.id}", f"{call.title}: {applicant.name}",
            award.reasons, "IRR", award.amount_rial, iso(entry.first.at_ms),
            applicant_party_id(applicant), applicant.name, applicant.size or "",
            applicant.province, applicant.kind, applicant.students or "",
            buyer_id(programme), buyer_name(programme), programme.id, programme.title,
            applicant.zone or "", award.status, ocid(settings, call.id),
            iso(entry.last.at_ms)))
    return buffer.getvalue()
