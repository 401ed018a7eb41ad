"""Registry, domestic list and usage through the real CLI, against hand-computed sums.

Aban 1404 (1404-08) ends at 00:00 Tehran on 1 Azar = 20:30 UTC on 21 November 2025: a
flow at 20:29 UTC belongs to Aban, one at 20:31 UTC to Azar.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest
import tomli_w
from tests.golden.pcap_writer import write_pcap
from tests.ibans import iban_with_check_digits
from tests.pgschema import postgres_schema

from pahna.calendar import JalaliMonth
from pahna.intake.ipfix.encoder import encode_flows
from pahna.intake.netflow.encoder import encode_v5
from pahna.intake.sflow.encoder import encode_sflow
from pahna.registry.instants import parse_instant
from pahna.schema import FLOW_SCHEMA, address_to_bytes

pytestmark = pytest.mark.slow

ABAN, AZAR = JalaliMonth(1404, 8), JalaliMonth(1404, 9)
T1 = parse_instant("1404-08-10T12:00")
T2 = parse_instant("1404-08-20T09:00")

# (src, dst, bytes, sampling, src_as, start_ms)
FLOWS = [
    ("185.10.1.1", "5.1.1.1", 1000, 1, 0, T1),         # qom-media, domestic
    ("185.10.5.7", "8.8.8.8", 2000, 1, 0, T1),         # teh-video (nested /24), international
    ("185.10.5.7", "5.2.2.2", 3000, 1, 0, T2),         # /24 ended on 08-15: qom-media, domestic
    ("2a01:db8::5", "2a02::1", 400, 10, 0, T1),        # teh-video v6, domestic, sampled 1:10
    ("2a01:db8::5", "2001:4860::1", 500, 1, 0, T1),    # teh-video v6, international
    ("9.9.9.9", "5.1.1.1", 700, 1, 64512, T1),         # qom-media by AS number, domestic
    ("9.9.9.9", "5.1.1.1", 800, 1, 0, T1),             # nobody's: unattributed, domestic
    ("185.10.1.1", "8.8.4.4", 50, 1, 0, ABAN.end_ms - 60_000),  # 20:29 UTC: Aban
    ("185.10.1.1", "8.8.4.4", 60, 1, 0, ABAN.end_ms + 60_000),  # 20:31 UTC: Azar
]


def flow_table() -> pa.Table:
    columns: dict[str, list[object]] = {name: [] for name in FLOW_SCHEMA.names}
    for src, dst, size, sampling, src_as, start in FLOWS:
        row = {"exporter": address_to_bytes("10.255.0.1"), "observation_domain": 1,
               "src_addr": address_to_bytes(src), "dst_addr": address_to_bytes(dst),
               "src_port": 443, "dst_port": 50000, "protocol": 6, "bytes": size,
               "packets": 1, "start_ms": start, "end_ms": start, "sampling_rate": sampling,
               "input_if": 1, "output_if": 2, "direction": 0, "src_as": src_as, "dst_as": 0,
               "batch_id": ""}
        for name in FLOW_SCHEMA.names:
            columns[name].append(row[name])
    return pa.table(columns, schema=FLOW_SCHEMA)


def write_registry_files(folder: Path) -> list[Path]:
    iban = iban_with_check_digits("0170000000110212345678")
    files = {
        "zones.csv": "id,name,name_fa,province\nqom-itz,Qom IT Zone,منطقه ویژه فناوری قم,IR-25\n",
        "producers.csv": (
            "id,name,name_fa,province,type,zone,iban\n"
            f"qom-media,Qom Media,رسانه قم,IR-25,public_centre,qom-itz,{iban}\n"
            "teh-video,Tehran Video,ویدئو تهران,IR-23,private_company,,\n"),
        "claims.csv": (
            "producer_id,kind,value,valid_from,valid_to\n"
            "qom-media,prefix,185.10.0.0/16,1404-01-01,\n"
            "teh-video,prefix,185.10.5.0/24,1404-01-01,1404-08-15\n"
            "teh-video,prefix,2a01:db8::/32,2025-01-01T00:00:00Z,\n"
            "qom-media,asn,AS64512,1404-01-01,\n"),
    }
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return [folder / name for name in files]


@pytest.fixture(params=["sqlite", "postgresql"])
def home(request: pytest.FixtureRequest, tmp_path: Path, pahna_cli) -> Iterator[Path]:  # type: ignore[no-untyped-def]
    """A workspace whose registry is SQLite (the default) or a real PostgreSQL."""
    home = tmp_path / "home"
    pahna_cli("init", "--home", str(home))
    if request.param == "sqlite":
        yield home
        return
    with postgres_schema() as url:
        config = home / "pahna.toml"
        settings = tomllib.loads(config.read_text())
        settings["registry"] = {"url": url}
        config.write_text(tomli_w.dumps(settings))
        yield home


def test_usage_matches_hand_computation(tmp_path: Path, home: Path, pahna_cli) -> None:  # type: ignore[no-untyped-def]
    files = write_registry_files(tmp_path)
    refused = pahna_cli("registry", "import", *map(str, files), "--home", str(home), check=False)
    assert refused.returncode == 65
    assert "claims.csv:3" in refused.stderr and "qom-media" in refused.stderr
    pahna_cli("registry", "import", *map(str, files), "--approve-nested", "--home", str(home))
    (tmp_path / "domestic.cidr").write_text("# test list\n5.0.0.0/8\n2a02::/16\n")
    pahna_cli("domestic", "import", str(tmp_path / "domestic.cidr"), "--from", "1404-01-01",
              "--home", str(home))
    export = tmp_path / "flows.ipfix"
    export.write_bytes(b"".join(encode_flows(flow_table())))
    pahna_cli("ingest", str(export), "--exporter", "10.255.0.1", "--home", str(home))

    aban = usage(pahna_cli, home, "1404-08")
    remainder = group(None, 800, {"domestic": 800}, flows=1)
    assert aban["usage"] == [
        group("qom-media", 4750, {"domestic": 4700, "international": 50}, flows=4),
        group("teh-video", 6500, {"domestic": 4000, "international": 2500}, flows=3,
              packets=12),
        remainder,
    ]
    assert aban["unattributed"] == remainder
    azar = usage(pahna_cli, home, "1404-09")
    assert azar["usage"] == [group("qom-media", 60, {"international": 60}, flows=1)]
    assert azar["unattributed"] == group(None, 0, {}, flows=0, packets=0)

    by_province = usage(pahna_cli, home, "1404-08", "--by", "province", "--class", "domestic")
    assert [(g["province"], g["bytes"]) for g in by_province["usage"]] == [
        ("IR-23", 4000), ("IR-25", 4700), (None, 800)]
    assert by_province["unattributed"]["bytes"] == 800
    by_zone = usage(pahna_cli, home, "1404-08", "--by", "zone")
    assert [(g["zone"], g["bytes"]) for g in by_zone["usage"]] == [
        ("(no zone)", 6500), ("qom-itz", 4750), (None, 800)]


def usage(pahna_cli, home: Path, period: str, *args: str) -> dict:  # type: ignore[no-untyped-def]
    result = pahna_cli("usage", "--period", period, "--json", *args, "--home", str(home))
    return json.loads(result.stdout)


def group(key: str | None, size: int, by_class: dict[str, int], flows: int,
          packets: int | None = None) -> dict[str, object]:
    classes = {"domestic": 0, "international": 0, "unknown": 0, **by_class}
    return {"producer_id": key, "bytes": size, "packets": flows if packets is None else packets,
            "flows": flows, "bytes_by_class": classes}


def test_refused_imports_leave_registry_unchanged(tmp_path: Path, home: Path,
                                                   pahna_cli) -> None:  # type: ignore[no-untyped-def]
    files = write_registry_files(tmp_path)
    pahna_cli("registry", "import", *map(str, files), "--approve-nested", "--home", str(home))
    before = snapshot(pahna_cli, home, tmp_path / "before")
    bad = {
        "conflict.csv": ("producer_id,kind,value,valid_from,valid_to\n"
                         "teh-video,asn,64513,1404-01-01,\n"
                         "teh-video,prefix,185.10.0.0/16,1404-06-01,\n",
                         "conflict.csv:3", "185.10.0.0/16 of qom-media"),
        "malformed.csv": ("producer_id,kind,value,valid_from,valid_to\n"
                          "teh-video,host,video.example.ir,1404-01-01,\n"
                          "teh-video,prefix,10.0.0.1/8,1404-01-01,\n",
                          "malformed.csv:3", "host bits set"),
        "baddate.csv": ("producer_id,kind,value,valid_from,valid_to\n"
                        "teh-video,prefix,10.0.0.0/8,1404-13-01,\n",
                        "baddate.csv:2", "1404-13-01"),
        "iban.csv": ("id,name,name_fa,province,type,zone,iban\n"
                     "new-one,New,نو,IR-25,other,,\n"
                     "bad-iban,Bad,بد,IR-25,other,,IR000170000000110212345678\n",
                     "iban.csv:3", "check digits"),
        "province.csv": ("id,name,name_fa,province,type,zone,iban\n"
                         "nowhere,Nowhere,هیچ,IR-99,other,,\n", "province.csv:2", "IR-99"),
    }
    for name, (text, where, reason) in bad.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        result = pahna_cli("registry", "import", str(tmp_path / name), "--home", str(home),
                           check=False)
        assert result.returncode == 65, result.stderr
        assert where in result.stderr and reason in result.stderr, result.stderr
    assert snapshot(pahna_cli, home, tmp_path / "after") == before


def snapshot(pahna_cli, home: Path, folder: Path) -> tuple[dict[str, str], int]:  # type: ignore[no-untyped-def]
    pahna_cli("registry", "export", "--to", str(folder), "--home", str(home))
    audit = json.loads(pahna_cli("registry", "audit", "--json", "--home", str(home)).stdout)
    return {p.name: p.read_text(encoding="utf-8") for p in folder.iterdir()}, len(audit)


def test_export_imports_back_identically(tmp_path: Path, home: Path, pahna_cli) -> None:  # type: ignore[no-untyped-def]
    files = write_registry_files(tmp_path)
    pahna_cli("registry", "import", *map(str, files), "--approve-nested", "--home", str(home))
    first = snapshot(pahna_cli, home, tmp_path / "one")[0]
    other = tmp_path / "other"
    pahna_cli("init", "--home", str(other))
    exported = sorted((tmp_path / "one").iterdir())
    pahna_cli("registry", "import", *map(str, exported), "--approve-nested", "--home", str(other))
    assert snapshot(pahna_cli, other, tmp_path / "two")[0] == first
    audit = json.loads(pahna_cli("registry", "audit", "--json", "--home", str(home)).stdout)
    actions = [e["action"] for e in audit]
    assert actions.count("claim.add") == 4 and actions.count("claim.approve_nested") == 1
    assert actions.count("producer.add") == 2 and actions.count("zone.add") == 1


def test_metering_point_counts_a_flow_seen_by_two_routers_once(
        tmp_path: Path, home: Path, pahna_cli) -> None:  # type: ignore[no-untyped-def]
    files = write_registry_files(tmp_path)
    pahna_cli("registry", "import", *map(str, files), "--approve-nested", "--home", str(home))
    pahna_cli("registry", "add-metering", "qom-media", "10.255.0.1", "1", "--direction",
              "ingress", "--from", "1404-01-01", "--actor", "noc", "--home", str(home))
    for router, domain in (("10.255.0.1", 1), ("10.255.0.2", 2)):  # both export every flow
        export = tmp_path / f"flows-{domain}.ipfix"
        export.write_bytes(b"".join(encode_flows(flow_table(), domain=domain)))
        pahna_cli("ingest", str(export), "--exporter", router, "--home", str(home))
    aban = usage(pahna_cli, home, "1404-08")
    assert [(g["producer_id"], g["bytes"]) for g in aban["usage"]] == [
        ("qom-media", 4750), ("teh-video", 2 * 6500), (None, 2 * 800)]
    audit = json.loads(pahna_cli("registry", "audit", "--json", "--home", str(home)).stdout)
    assert audit[-1]["action"] == "metering.add" and audit[-1]["actor"] == "noc"


def test_v5_and_sflow_exporters_behind_metering_points_are_counted(
        tmp_path: Path, home: Path, pahna_cli) -> None:  # type: ignore[no-untyped-def]
    """Neither NetFlow v5 nor sFlow says a flow's direction: a metering point matches them
    on the interface its direction names (input for ingress, output for egress). What
    the points keep out is counted by reason in `pahna usage`."""
    files = write_registry_files(tmp_path)
    pahna_cli("registry", "import", *map(str, files), "--approve-nested", "--home", str(home))
    for exporter, interface, direction in (("10.255.0.5", "1", "ingress"),
                                           ("10.255.0.6", "2", "egress")):
        pahna_cli("registry", "add-metering", "qom-media", exporter, interface, "--direction",
                  direction, "--from", "1404-01-01", "--home", str(home))
    # (bytes, input_if, output_if) of flows from qom-media's 185.10.1.1
    v5_flows = [(1000, 1, 2), (2000, 1, 2), (3000, 1, 2), (400, 9, 2)]
    sflow_flows = [(500, 4, 2), (700, 1, 2)]
    v5 = b"".join(encode_v5(interface_flows(v5_flows), T1 + 60_000, 10**7))
    sflow = b"".join(encode_sflow(interface_flows(sflow_flows)))
    packets = [(bytes([10, 255, 0, 5]), v5), (bytes([10, 255, 0, 6]), sflow),
               (bytes([10, 255, 0, 7]), v5)]  # a third router sees the v5 flows again
    capture = write_pcap(tmp_path / "routers.pcap", packets, times_us=[T1 * 1000] * 3)
    pahna_cli("ingest", str(capture), "--home", str(home))
    aban = usage(pahna_cli, home, "1404-08")
    assert [(g["producer_id"], g["bytes"]) for g in aban["usage"]] == [
        ("qom-media", 1000 + 2000 + 3000 + 500 + 700)]
    assert aban["metering_dropped"] == {
        "exporter_not_metered": {"flows": 4, "bytes": 6400},
        "interface_not_metered": {"flows": 1, "bytes": 400},
        "outside_validity": {"flows": 0, "bytes": 0}}
    text = pahna_cli("usage", "--period", "1404-08", "--home", str(home)).stdout
    assert "exporter_not_metered" in text and "6,400 bytes" in text


def interface_flows(flows: list[tuple[int, int, int]]) -> pa.Table:
    columns: dict[str, list[object]] = {name: [] for name in FLOW_SCHEMA.names}
    for size, input_if, output_if in flows:
        row = {"exporter": address_to_bytes("10.255.0.5"), "observation_domain": 0,
               "src_addr": address_to_bytes("185.10.1.1"), "dst_addr": address_to_bytes(
                   "5.1.1.1"), "src_port": 443, "dst_port": 50000, "protocol": 6,
               "bytes": size, "packets": 1, "start_ms": T1, "end_ms": T1, "sampling_rate": 1,
               "input_if": input_if, "output_if": output_if, "direction": 255, "src_as": 0,
               "dst_as": 0, "batch_id": ""}
        for name in FLOW_SCHEMA.names:
            columns[name].append(row[name])
    return pa.table(columns, schema=FLOW_SCHEMA)
