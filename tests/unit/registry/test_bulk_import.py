from __future__ import annotations

import ipaddress
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from sqlalchemy import Engine

from pahna.calendar import JalaliMonth
from pahna.errors import ImportFileError
from pahna.registry.audit import audit_log
from pahna.registry.bulk import export_files, import_files
from pahna.registry.claims import list_claims
from pahna.registry.metering import list_points
from pahna.registry.rules import load_rules
from pahna.schema import address_to_bytes

PRODUCERS = """id,name,name_fa,province,type,zone,iban,contact,status
a,A,آ,IR-25,public_centre,,IR062960000000100324200001,a@example.ir,active
b,B,ب,IR-23,student_startup,,,,
"""
CLAIMS = """producer_id,kind,value,valid_from,valid_to
a,prefix,185.10.0.0/16,1404-01-01,
b,host,*.b.example.ir,2025-03-21,
b,asn,AS64512,1404-01-01T00:00,
"""
METERING = """producer_id,exporter,interface,direction,valid_from,valid_to
a,10.255.0.1,3,ingress,1404-01-01,
"""


def write(folder: Path, **files: str) -> list[Path]:
    paths = []
    for name, text in files.items():
        path = folder / f"{name}.csv"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def test_import_is_idempotent_and_ends_claims(registry: Engine, tmp_path: Path) -> None:
    files = write(tmp_path, metering=METERING, claims=CLAIMS, producers=PRODUCERS)
    first = import_files(registry, files, actor="admin")
    assert (first.rows, first.changed) == (6, 6)
    assert import_files(registry, files).changed == 0
    ended = CLAIMS.replace("185.10.0.0/16,1404-01-01,", "185.10.0.0/16,1404-01-01,1404-08-15")
    assert import_files(registry, write(tmp_path, claims=ended)).changed == 1
    claim = next(c for c in list_claims(registry) if c.spec.kind == "prefix")
    assert claim.spec.valid_to_ms == JalaliMonth(1404, 8).start_ms + 14 * 86_400_000
    assert [e.action for e in audit_log(registry)][-1] == "claim.end"
    assert list_points(registry)[0].exporter == "10.255.0.1"


def test_metering_points_reach_the_kernel(registry: Engine, tmp_path: Path) -> None:
    import_files(registry, write(tmp_path, producers=PRODUCERS, claims=CLAIMS,
                                 metering=METERING))
    rules = load_rules(registry)
    assert rules.metering is not None and rules.asns is not None and rules.hosts is not None
    owner = np.array([rules.claims.owners.index("a")], dtype=np.int32)
    at = np.array([JalaliMonth(1404, 8).start_ms])
    seen = pa.RecordBatch.from_pydict({
        "exporter": pa.array([address_to_bytes("10.255.0.1")] * 2, pa.binary(16)),
        "input_if": pa.array([3, 4], pa.uint32()), "output_if": pa.array([0, 0], pa.uint32()),
        "direction": pa.array([0, 0], pa.uint8())})
    assert rules.metering.keep(seen, np.repeat(owner, 2), np.repeat(at, 2)).tolist() == [
        True, False]
    address = pa.array([address_to_bytes("185.10.3.4")], pa.binary(16))
    assert rules.claims.lookup(address, at).tolist() == owner.tolist()


@pytest.mark.parametrize(("text", "reason"), [
    ("producer_id,kind,value\na,prefix,1.0.0.0/8\n", "none of the forms"),
    ("producer_id,kind,value,valid_from,valid_to\na,prefix,1.0.0.0/8\n", "3 fields"),
    ("producer_id,kind,value,valid_from,valid_to\na,url,x,1404-01-01,\n", "kind 'url'"),
    ("producer_id,kind,value,valid_from,valid_to\na,asn,AS1,,\n", "valid_from is required"),
    ("producer_id,kind,value,valid_from,valid_to\nzz,asn,AS1,1404-01-01,\n", "no producer"),
    ("producer_id,kind,value,valid_from,valid_to\na,asn,AS1,1404-05-01,1404-04-01\n",
     "after valid_from"),
])
def test_errors_name_file_line_reason(registry: Engine, tmp_path: Path, text: str,
                                      reason: str) -> None:
    import_files(registry, write(tmp_path, producers=PRODUCERS))
    before = len(audit_log(registry))
    (tmp_path / "bad.csv").write_text(text, encoding="utf-8")
    with pytest.raises(ImportFileError, match=reason) as caught:
        import_files(registry, [tmp_path / "bad.csv"])
    header_problem = reason == "none of the forms"
    assert caught.value.path.endswith("bad.csv")
    assert caught.value.line == (1 if header_problem else 2)
    assert len(audit_log(registry)) == before and list_claims(registry) == []


def test_export_round_trip(registry: Engine, tmp_path: Path) -> None:
    import_files(registry, write(tmp_path, producers=PRODUCERS, claims=CLAIMS,
                                 metering=METERING))
    paths = export_files(registry, tmp_path / "out")
    assert [p.name for p in paths] == ["zones.csv", "producers.csv", "claims.csv",
                                       "metering.csv"]
    assert import_files(registry, paths).changed == 0
    assert ipaddress.ip_network("185.10.0.0/16") in {
        ipaddress.ip_network(c.spec.value) for c in list_claims(registry, "prefix")}


@pytest.mark.parametrize(("name", "text", "kind"), [
    ("zones", "id,name,name_fa,province\n../zone,Z,ز,IR-25\n", "zone"),
    ("producers", PRODUCERS.replace("\nb,B", "\nsummary,B"), "producer"),
    ("claims", CLAIMS.replace("\nb,host", "\n../../../pahna-escape,host"), "producer"),
    ("metering", METERING.replace("\na,", "\na/b,"), "producer"),
])
def test_ids_that_are_not_slugs_refuse_the_whole_import(
        registry: Engine, tmp_path: Path, name: str, text: str, kind: str) -> None:
    good = {"producers": PRODUCERS} if name != "producers" else {}
    (tmp_path / "bad").mkdir()
    paths = write(tmp_path, **good) + write(tmp_path / "bad", **{name: text})
    with pytest.raises(ImportFileError, match=rf"{name}\.csv:\d+: {kind} id") as caught:
        import_files(registry, paths)
    assert caught.value.line >= 2
    assert audit_log(registry) == []  # nothing applied, not even the good producers
