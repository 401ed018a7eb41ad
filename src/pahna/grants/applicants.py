"""Applicants registered in bulk from CSV (UTF-8, a header line), all or nothing:

    id,kind,name,name_fa,province,zone,registration_number,size,university,students,owner,iban,account

`kind` is `organisation` (registration_number and size required) or `student_team`
(university and students required); empty cells are absent values. Errors name the file,
the line and the reason; nothing is recorded unless every row is valid.
"""

from __future__ import annotations

import csv
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import Engine

from pahna.errors import GrantRuleError, ImportFileError, InvalidIbanError
from pahna.grants.board import load_board
from pahna.grants.history import Author
from pahna.grants.models import Applicant
from pahna.grants.process import check_place, put_applicant
from pahna.iban import normalize_iban

COLUMNS = ("id", "kind", "name", "name_fa", "province", "zone", "registration_number",
           "size", "university", "students", "owner", "iban", "account")


def read_applicants(path: Path) -> list[Applicant]:
    """Every row as an Applicant, or ImportFileError for the first bad one."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ImportFileError(str(path), 0, str(exc)) from exc
    out = []
    for line, row in enumerate(rows, start=2):
        unknown = set(row) - set(COLUMNS)
        if unknown or None in row:
            raise ImportFileError(str(path), line, f"unknown columns {sorted(map(str, unknown))}")
        values = {k: v.strip() for k, v in row.items() if v and v.strip()}
        try:
            if "iban" in values:
                values["iban"] = normalize_iban(values["iban"])
            out.append(Applicant.model_validate(values))
        except InvalidIbanError as exc:
            raise ImportFileError(str(path), line, str(exc)) from exc
        except ValidationError as exc:
            raise ImportFileError(str(path), line, _first(exc)) from exc
    if len({a.id for a in out}) != len(out):
        raise ImportFileError(str(path), 0, "an applicant id appears twice")
    return out


def _first(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error["loc"]) or "row"
    return f"{where}: {error['msg']}"


def import_applicants(engine: Engine, path: Path, author: Author) -> int:
    """Register or revise every applicant of the file (an unchanged row changes nothing);
    returns how many were recorded."""
    applicants = read_applicants(path)
    for line, applicant in enumerate(applicants, start=2):
        try:
            check_place(engine, applicant)
        except GrantRuleError as exc:
            raise ImportFileError(str(path), line, str(exc)) from exc
    board = load_board(engine)
    changed = [a for a in applicants if not board.has("applicant", a.id)
               or board.applicant(a.id) != a]
    for applicant in changed:
        put_applicant(engine, applicant, author, "applicant registered" if not board.has(
            "applicant", applicant.id) else "applicant revised")
    return len(changed)
