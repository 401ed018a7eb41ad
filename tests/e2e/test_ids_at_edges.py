"""Ids at the edge, through the real CLI: producer, zone and account ids that are not
slugs are refused where they enter; a registry made before that (ids inserted as an old
pahna stored them) is refused by `settle` with every bad id named, and renamed; per-
producer files stay in their own folders; CSV cells cannot start a formula."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from tests.ibans import iban_with_check_digits

from pahna.calendar import JalaliMonth
from pahna.demo.scenario import demo_producers
from pahna.demo.traffic import generate_month
from pahna.registry.database import open_registry
from pahna.registry.producers import PrefixClaim, add_prefix_claim, add_producer
from pahna.store.writer import write_batch
from pahna.web.app import create_app
from pahna.workspace import init_workspace, open_workspace

pytestmark = pytest.mark.slow

PERIOD = "1404-08"
HOSTILE = ("../escape", "../../../pahna-escape", "summary", "a/b")
TARIFF = ('id = "t"\nversion = 1\nvalid_from = "1404-01"\nrate_rial_per_gb = "50000000"\n'
          'pool_rial = 5000000000\n')
FORMULA = "=HYPERLINK(\"http://evil.example\",\"click\")"


def _home(tmp_path: Path) -> Path:
    """A workspace with two demo producers, a tariff and a month of their traffic."""
    workspace = init_workspace(tmp_path / "home")
    engine = open_registry(workspace.registry_url)
    chosen = [d for d in demo_producers() if d.producer.id in ("qom-univ", "qom-tv")]
    for item in chosen:
        add_producer(engine, item.producer, actor="test")
        for net in item.prefixes:
            add_prefix_claim(engine, PrefixClaim(item.producer.id, net,
                                                 JalaliMonth.parse("1404-01").start_ms, None),
                             approve_nested=True, actor="test")
    (workspace.tariffs_dir / "t.toml").write_text(TARIFF, encoding="utf-8")
    write_batch(workspace.store_dir, generate_month(chosen, PERIOD, 500), "test",
                hashlib.sha256(b"ids").hexdigest())
    return workspace.home


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("bad", HOSTILE)
def test_registry_import_refuses_ids_that_are_not_slugs(
        tmp_path: Path, pahna_cli, bad: str) -> None:  # type: ignore[no-untyped-def]
    home = _home(tmp_path)
    producers = tmp_path / "producers.csv"
    producers.write_text("id,name,name_fa,province,type,zone,iban\n"
                         f"{bad},Escape,فرار,IR-25,other,,\n", encoding="utf-8")
    refused = pahna_cli("registry", "import", str(producers), "--home", str(home),
                        check=False)
    assert refused.returncode == 65
    assert f"{producers}:2:" in refused.stderr and f"producer id {bad!r}" in refused.stderr
    listed = pahna_cli("registry", "list", "--json", "--home", str(home)).stdout
    assert bad not in listed


def test_cli_entry_points_refuse_bad_ids(tmp_path: Path, pahna_cli) -> None:  # type: ignore[no-untyped-def]
    home = str(_home(tmp_path))
    for args in (("registry", "add-producer", "Qom_Univ", "--name", "Q", "--province",
                  "IR-25", "--type", "other"),
                 ("registry", "add-claim", "../escape", "10.0.0.0/8"),
                 ("registry", "add-metering", "a/b", "10.0.0.1", "1", "--direction",
                  "egress")):
        refused = pahna_cli(*args, "--home", home, check=False)
        assert refused.returncode == 65 and "producer id" in refused.stderr, args
    for name, extra in (("../admin", ()), ("summary", ()),
                        ("prod", ("--producer", "../escape"))):
        refused = pahna_cli("users", "add", name, "--role", "producer" if extra else "auditor",
                            *extra, "--password-stdin", "--home", home, check=False)
        assert refused.returncode == 65, (name, refused.stderr)


def test_an_old_registry_with_bad_ids_is_refused_by_name_and_renamed(
        tmp_path: Path, pahna_cli) -> None:  # type: ignore[no-untyped-def]
    home = _home(tmp_path)
    engine = open_registry(f"sqlite:///{home / 'registry.sqlite'}")
    with engine.begin() as connection:  # as pahna stored them before ids were checked
        connection.execute(text("INSERT INTO zones (id, name, name_fa, province) "
                                "VALUES ('Old_Zone', 'Old zone', '', 'IR-25')"))
        for bad in HOSTILE:
            connection.execute(text(
                "INSERT INTO producers (id, name, name_fa, province, type, zone, status) "
                "VALUES (:id, 'Old', '', 'IR-25', 'other', 'Old_Zone', 'active')"),
                {"id": bad})
    outside = tmp_path / "pahna-escape.csv"
    before = _files(tmp_path)
    refused = pahna_cli("settle", "--period", PERIOD, "--home", str(home), check=False)
    assert refused.returncode == 65
    for bad in HOSTILE:
        assert repr(bad) in refused.stderr
    assert "rename-producer" in refused.stderr
    assert _files(tmp_path) == before and not outside.exists()  # nothing written anywhere
    for number, bad in enumerate(HOSTILE):
        pahna_cli("registry", "rename-producer", bad, f"old-{number}", "--home", str(home))
    pahna_cli("settle", "--period", PERIOD, "--home", str(home))
    folder = home / "statements" / PERIOD
    written = {p.relative_to(folder).as_posix() for p in _files(folder)}
    assert {f"statements/old-{n}/statement.csv" for n in range(len(HOSTILE))} <= written
    assert not outside.exists() and _files(tmp_path) - before <= _files(home)
    audit = pahna_cli("registry", "audit", "--home", str(home)).stdout
    assert audit.count("producer.rename") == len(HOSTILE)
    listed = pahna_cli("registry", "list", "--json", "--home", str(home)).stdout
    assert listed.count('"zone": "Old_Zone"') == len(HOSTILE)  # an old zone id keeps working


def test_statement_and_payment_csvs_cannot_start_a_formula(tmp_path: Path, pahna_cli) -> None:  # type: ignore[no-untyped-def]
    home = _home(tmp_path)
    iban = iban_with_check_digits("0170000000110212345678")
    producers = tmp_path / "producers.csv"
    producers.write_text(
        "id,name,name_fa,province,type,zone,iban\n"
        f'qom-univ,"{FORMULA.replace(chr(34), chr(34) * 2)}",@SUM(A1),IR-25,'
        f"public_centre,,{iban}\n"
        f"qom-tv,+cmd|' /C calc'!A0,-2+3,IR-25,private_company,,{iban}\n",
        encoding="utf-8")
    pahna_cli("registry", "import", str(producers), "--home", str(home))
    pahna_cli("settle", "--period", PERIOD, "--home", str(home))
    pahna_cli("settle", "finalize", "--period", PERIOD, "--home", str(home))
    pahna_cli("statements", "export", "--period", PERIOD, "--out", str(tmp_path / "out"),
              "--home", str(home))
    pahna_cli("payments", "export", "--period", PERIOD, "--out", str(tmp_path / "pay.csv"),
              "--home", str(home))
    exported = tmp_path / "registry"
    pahna_cli("registry", "export", "--to", str(exported), "--home", str(home))
    public = tmp_path / "public.csv"
    with TestClient(create_app(open_workspace(home))) as portal:
        public.write_bytes(portal.get(f"/api/public/{PERIOD}/csv").content)
    tables = [tmp_path / "pay.csv", tmp_path / "out" / "summary.csv",
              tmp_path / "out" / "provinces.csv", public,
              tmp_path / "out" / "statements" / "qom-univ" / "statement.csv",
              exported / "producers.csv"]
    names = set()
    for table in tables:
        for row in csv.reader(io.StringIO(table.read_text(encoding="utf-8"))):
            assert not any(cell.startswith(("=", "+", "@")) for cell in row), (table, row)
            names.update(cell for cell in row if "HYPERLINK" in cell or "calc" in cell)
    assert "'" + FORMULA in names and "'+cmd|' /C calc'!A0" in names
    pahna_cli("registry", "import", str(exported / "producers.csv"), "--home", str(home))
    listed = pahna_cli("registry", "list", "--json", "--home", str(home)).stdout
    assert '"name": "=HYPERLINK' in listed  # the export imports back unchanged
