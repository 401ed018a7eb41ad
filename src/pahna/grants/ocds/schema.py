"""Offline validation against the vendored OCDS 1.1.5 schema (`schema/`, Apache 2.0) patched
with the extensions in `extensions/` (RFC 7386 merge patches). Nothing is fetched: the
package schemas' references to the release schema resolve to the patched local copy.
Open codelists the board relies on (party roles) are checked against the vendored CSVs."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import json_merge_patch
from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from pahna.errors import OcdsError

HERE = Path(__file__).parent
SCHEMA = HERE / "schema"
EXTENSIONS = HERE / "extensions"
USED_EXTENSIONS = ("bids", "partyScale", "transactionMilestone")
RELEASE_ID = "https://standard.open-contracting.org/schema/1__1__5/release-schema.json"
MAX_ERRORS = 50


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@cache
def patched_release_schema() -> dict[str, Any]:
    """The 1.1.5 release schema with each used extension's patch merged in."""
    schema = _load(SCHEMA / "release-schema.json")
    for name in USED_EXTENSIONS:
        schema = json_merge_patch.merge(schema, _load(EXTENSIONS / name / "release-schema.json"))
    return schema


def extension_urls() -> list[str]:
    """The published extensions the packages cite (metadata only; never fetched)."""
    return [str(_load(EXTENSIONS / name / "extension.json")["published"])
            for name in USED_EXTENSIONS]


@cache
def party_roles() -> frozenset[str]:
    with (SCHEMA / "codelists" / "partyRole.csv").open(encoding="utf-8") as handle:
        return frozenset(row["Code"] for row in csv.DictReader(handle))


def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return "T" in value and parsed.tzinfo is not None


def _uri(value: object) -> bool:
    return not isinstance(value, str) or bool(urlsplit(value).scheme)


FORMATS = FormatChecker()
FORMATS.checks("date-time")(_date_time)
FORMATS.checks("uri")(_uri)


@cache
def _validator(kind: str) -> Draft4Validator:
    release = patched_release_schema()
    registry: Registry = Registry().with_resource(
        RELEASE_ID, Resource.from_contents(release, default_specification=DRAFT4))
    schema = release if kind == "release" else _load(SCHEMA / f"{kind}-schema.json")
    return Draft4Validator(schema, registry=registry, format_checker=FORMATS)


def problems(document: dict[str, Any], kind: str = "release") -> list[str]:
    """Every way `document` (a release, release-package or record-package) breaks the
    schema, as 'path: message' lines (empty: valid)."""
    found = [f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"
             for e in _validator(kind).iter_errors(document)]
    return found[:MAX_ERRORS] + _role_problems(document)


def _role_problems(document: object, path: str = "") -> list[str]:
    out: list[str] = []
    if isinstance(document, dict):
        for role in document.get("roles", []) if "roles" in document else []:
            if role not in party_roles():
                out.append(f"{path}/roles: {role!r} is not in the partyRole codelist")
        for key, value in document.items():
            out += _role_problems(value, f"{path}/{key}")
    elif isinstance(document, list):
        for index, value in enumerate(document):
            out += _role_problems(value, f"{path}/{index}")
    return out


def validate(document: dict[str, Any], kind: str = "release", what: str = "") -> None:
    """Raise OcdsError listing the problems, if any."""
    found = problems(document, kind)
    if found:
        raise OcdsError(what or kind, found)
