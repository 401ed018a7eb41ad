"""Every release and record the board publishes validates against the vendored OCDS 1.1.5
schema with its extensions; a broken release fails; records equal what ocdsmerge
compiles from the same releases."""

from __future__ import annotations

import copy
import json
from collections import defaultdict
from typing import Any

import pytest
from ocdsmerge import Merger
from sqlalchemy import Engine

from pahna.errors import GrantNotFoundError, OcdsError
from pahna.grants.config import GrantSettings
from pahna.grants.ocds.packages import board_releases, record_package, release_package
from pahna.grants.ocds.schema import SCHEMA, patched_release_schema, problems, validate
from pahna.registry.database import open_registry

SETTINGS = GrantSettings()


@pytest.fixture(scope="module")
def releases(demo_engine: Engine) -> list[dict[str, Any]]:
    return board_releases(demo_engine, SETTINGS)


def test_every_release_and_package_has_no_error(releases: list[dict[str, Any]]) -> None:
    assert len(releases) == 34
    assert all(problems(r) == [] for r in releases)
    assert problems(release_package(releases, SETTINGS), "release-package") == []
    assert problems(record_package(releases, SETTINGS), "record-package") == []


def test_the_vendored_schema_is_the_shared_copy(shared_dir: Any) -> None:
    for name in ("release-schema.json", "release-package-schema.json",
                 "record-package-schema.json"):
        assert (SCHEMA / name).read_bytes() == (shared_dir / "ocds" / name).read_bytes()


@pytest.mark.parametrize(("breakage", "expected"), [
    (lambda r: r.pop("ocid"), "'ocid' is a required property"),
    (lambda r: r.update(tag=["granted"]), "tag/0: 'granted' is not one of"),
    (lambda r: r["parties"][0]["roles"].append("sponsor"), "not in the partyRole codelist"),
    (lambda r: r["parties"][2].update(details={"scale": "small"}), "details/scale"),
    (lambda r: r["tender"]["tenderPeriod"].update(startDate="1404-07-01"), "date-time"),
    (lambda r: r["bids"]["statistics"][0].pop("value"), "'value' is a required property"),
])
def test_a_broken_release_fails(releases: list[dict[str, Any]], breakage: Any,
                                expected: str) -> None:
    release = copy.deepcopy(next(r for r in releases if r["tag"] == ["award"]))
    breakage(release)
    found = problems(release)
    assert any(expected in p for p in found), found
    with pytest.raises(OcdsError):
        validate(release)


def test_records_equal_what_ocdsmerge_compiles(releases: list[dict[str, Any]]) -> None:
    package = record_package(releases, SETTINGS)
    by_ocid: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for release in releases:
        by_ocid[release["ocid"]].append(release)
    merger = Merger(patched_release_schema())
    assert [r["ocid"] for r in package["records"]] == sorted(by_ocid)
    for record in package["records"]:
        expected = merger.create_compiled_release(by_ocid[record["ocid"]])
        assert json.dumps(record["compiledRelease"], sort_keys=True) == json.dumps(
            expected, sort_keys=True)
        assert [r["id"] for r in record["releases"]] == [r["id"] for r in by_ocid[
            record["ocid"]]]


def test_the_compiled_record_tells_the_round(releases: list[dict[str, Any]]) -> None:
    """Expected values from the demo's script, not from the code under test."""
    records = {r["ocid"]: r["compiledRelease"]
               for r in record_package(releases, SETTINGS)["records"]}
    eservices = records["ocds-pahna0-qom-eservices"]
    awards = {a["id"]: a["value"]["amount"] for a in eservices["awards"]}
    assert awards == {"award-rayan-soft": 6_500_000_000, "award-kavir-data": 4_800_000_000,
                      "award-team-qom-univ": 1_200_000_000}
    assert eservices["tender"]["numberOfTenderers"] == 5
    roles = {p["name"]: set(p["roles"]) for p in eservices["parties"]}
    assert roles["Rayan Software"] == {"tenderer", "supplier", "payee"}
    assert roles["Noor Systems"] == {"tenderer"}
    assert {"buyer", "procuringEntity", "payer"} <= roles[
        "Directorate General of Communications and IT, Qom"]
    assert any(r == {"reviewBody"} for r in roles.values())
    rayan = next(c for c in eservices["contracts"] if c["id"] == "agr-rayan-soft")
    statuses = [m["status"] for m in rayan["implementation"]["milestones"]]
    assert statuses == ["met", "met", "scheduled"]
    paid = [(t["relatedImplementationMilestone"]["id"], t["value"]["amount"])
            for t in rayan["implementation"]["transactions"]]
    assert paid == [("m1", 6_500_000_000 // 3), ("m2", 6_500_000_000 // 3)]
    team = next(c for c in eservices["contracts"] if c["id"] == "agr-team-qom-univ")
    assert [m["status"] for m in team["implementation"]["milestones"]] == [
        "met", "notMet", "scheduled"]
    zone = records["ocds-pahna0-pardisan-datacentre"]
    assert zone["bids"]["statistics"][0]["value"] == 1
    assert "special IT zone qom-pardisan" in zone["tender"]["eligibilityCriteria"]


def test_applications_are_named_only_after_the_call_closes(
        releases: list[dict[str, Any]]) -> None:
    updates = [r for r in releases if r["tag"] == ["tenderUpdate"]]
    assert updates and all("details" not in r["bids"] and "tenderers" not in r["tender"]
                           for r in updates)
    assert all(not {"tenderer"} & set(role for p in r["parties"] for role in p["roles"])
               for r in updates)


def test_an_empty_board_publishes_no_package(tmp_path: Any) -> None:
    engine = open_registry(f"sqlite:///{tmp_path / 'r.sqlite'}")
    assert board_releases(engine, SETTINGS) == []
    with pytest.raises(GrantNotFoundError, match="no release yet"):
        release_package([], SETTINGS)
    with pytest.raises(GrantNotFoundError, match="no release yet"):
        record_package([], SETTINGS)
