"""A month ingested over real UDP, then settled, finalized, verified, exported and paid
through the `pahna` command; tampering and attempts to change a final are caught."""

from __future__ import annotations

import csv
import ipaddress
import json
import threading
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from pahna.calendar import JalaliMonth
from pahna.demo.exporter import send_flows
from pahna.demo.scenario import demo_producers
from pahna.demo.traffic import generate_month
from pahna.intake.base import Datagram
from pahna.intake.collector import ListenAddress, UdpCollector
from pahna.intake.ipfix.encoder import encode_flows
from pahna.parties import Producer
from pahna.pipeline import Ingestor
from pahna.registry.database import open_registry
from pahna.registry.models import ProducerRow
from pahna.registry.producers import PrefixClaim, add_prefix_claim, add_producer
from pahna.schema import address_to_bytes
from pahna.workspace import Workspace

pytestmark = pytest.mark.slow
PERIOD = "1404-08"
TARIFF = """\
id = "incentive-e2e"
version = 1
valid_from = "1404-01"
pool_minor = 400000000
cap_minor = 150000000

[volume]
model = "graduated"
billed_classes = ["domestic", "unknown"]
tiers = [{ up_to_gb = "0.5", rate_per_gb = "200000000" }, { rate_per_gb = "100000000" }]

[percentile]
price_per_mbps = "5000000"

[[time_of_day]]
start = "01:00"
end = "07:00"
multiplier = "0.5"

[multipliers]
producer_type = { student_startup = "1.5" }
"""


def valid_iban(body: str) -> str:
    """IR + check digits + 22 digits, with ISO 7064 mod 97-10 check digits."""
    number = int(body + "1827" + "00")  # I=18, R=27
    return f"IR{98 - number % 97:02d}{body}"


def build_month(workspace: Workspace) -> None:
    engine = open_registry(workspace.registry_url)
    chosen = demo_producers()[:4]
    start = JalaliMonth.parse("1404-01").start_ms
    for number, item in enumerate(chosen):
        producer = item.producer.__class__(**{**item.producer.__dict__,
                                              "iban": valid_iban(f"{number + 1:022d}")})
        add_producer(engine, producer, actor="test")
        for net in item.prefixes:
            add_prefix_claim(engine, PrefixClaim(producer.id, net, start, None),
                             approve_nested=True, actor="test")
    traffic = generate_month(chosen, PERIOD, 3000, seed=7)
    ingestor, lock = Ingestor(workspace), threading.Lock()

    def sink(datagrams: list[Datagram], segments: tuple[str, ...]) -> None:
        with lock:
            ingestor.ingest_datagrams(datagrams, source="udp://127.0.0.1")

    collector = UdpCollector([ListenAddress("127.0.0.1", 0)], sink,
                             workspace.home / "spool" / "test", 0.5)
    thread = threading.Thread(target=collector.run, daemon=True)
    thread.start()
    sent = send_flows(traffic, "127.0.0.1", collector.ports[0])
    deadline = time.monotonic() + 20
    while collector.received < sent and time.monotonic() < deadline:
        time.sleep(0.05)
    collector.stop.set()
    thread.join(timeout=20)
    assert collector.received == sent


def test_month_from_udp_to_payment_batch(workspace: Workspace, pahna_cli, tmp_path: Path
                                         ) -> None:
    build_month(workspace)
    home = ["--home", str(workspace.home)]
    tariff_file = tmp_path / "incentive.toml"
    tariff_file.write_text(TARIFF, encoding="utf-8")
    pahna_cli("tariff", "import", str(tariff_file), *home)

    first = pahna_cli("settle", "--period", PERIOD, "--json", *home).stdout
    second = pahna_cli("settle", "--period", PERIOD, "--json", *home).stdout
    assert first == second  # a draft recomputes to the same bytes
    draft = json.loads(first)
    assert draft["total_minor"] > 0 and len(draft["lines"]) == 4
    assert sum(ln["amount_minor"] for ln in draft["lines"]) <= 400_000_000
    assert all(ln["amount_minor"] <= 150_000_000 for ln in draft["lines"])

    out = pahna_cli("settle", "finalize", "--period", PERIOD, *home).stdout
    assert "final revision 1" in out
    assert "verifies" in pahna_cli("settle", "verify", "--period", PERIOD, *home).stdout
    newer = TARIFF.replace("version = 1", "version = 2").replace("400000000", "900000000")
    tariff_file.write_text(newer, encoding="utf-8")  # a new version reaching into 1404-08
    refused = pahna_cli("tariff", "import", str(tariff_file), *home, check=False)
    assert refused.returncode == 65 and "reaches into 1404-08, which is final" in refused.stderr
    tariff_file.write_text(newer.replace('valid_from = "1404-01"', 'valid_from = "1404-09"'),
                           encoding="utf-8")
    pahna_cli("tariff", "import", str(tariff_file), *home)  # from the next month: accepted
    assert "verifies" in pahna_cli("settle", "verify", "--period", PERIOD, *home).stdout

    for fmt, suffix in (("csv", ".csv"), ("html", ".html"), ("pdf", ".pdf"), ("json", ".json")):
        folder = tmp_path / fmt
        pahna_cli("statements", "export", "--period", PERIOD, "--format", fmt,
                  "--out", str(folder), *home)
        files = [p for p in folder.rglob("*") if p.is_file()]
        assert files and all(p.suffix == suffix for p in files)
    summary = list(csv.DictReader((tmp_path / "csv" / "summary.csv").open(encoding="utf-8")))
    assert {row["status"] for row in summary} == {"final-r1"}
    assert sum(int(row["payable_minor"]) for row in summary) == draft["total_minor"]
    html = (tmp_path / "html" / "summary.html").read_text(encoding="utf-8")
    assert 'dir="rtl"' in html and "۱۴۰۴" in html
    assert out.split("content hash ")[1].split()[0] in html  # the seal, printed
    assert (tmp_path / "pdf" / "summary.pdf").read_bytes().startswith(b"%PDF-")

    batch = tmp_path / "payments.csv"
    first_id = sorted(ln["producer_id"] for ln in draft["lines"] if ln["payable_minor"])[0]
    with Session(open_registry(workspace.registry_url)) as session:
        good = session.get(ProducerRow, first_id).iban
        session.execute(update(ProducerRow).where(ProducerRow.id == first_id)
                        .values(iban="IR000000000000000000000000"))
        session.commit()
    refused = pahna_cli("payments", "export", "--period", PERIOD, *home, check=False)
    assert refused.returncode != 0 and "mod 97-10" in refused.stderr
    with Session(open_registry(workspace.registry_url)) as session:
        session.execute(update(ProducerRow).where(ProducerRow.id == first_id).values(iban=good))
        session.commit()
    pahna_cli("payments", "export", "--period", PERIOD, "--out", str(batch), *home)
    rows = list(csv.DictReader(batch.open(encoding="utf-8")))
    assert sum(int(r["amount"]) for r in rows) == draft["total_minor"]
    assert all(r["iban"].startswith("IR") and r["reference"].startswith("PAHNA-1404-08-R1-")
               for r in rows)

    text = pahna_cli("explain", "--producer", rows[0]["producer_id"], "--period", PERIOD,
                     *home).stdout
    assert "largest" in text and "Tehran" in text
    explained = json.loads(pahna_cli("explain", "--producer", rows[0]["producer_id"],
                                     "--period", PERIOD, "--json", *home).stdout)
    assert explained["daily_bytes"] and explained["largest_flows"]
    assert explained["tariff_lines"][0]["code"] == "volume"

    pid = rows[0]["producer_id"]
    pahna_cli("settle", "adjust", "--original-period", PERIOD, "--producer", pid,
              "--amount", "-1000", "--in-period", "1404-09", "--reason", "late quarantine",
              *home)
    later = json.loads(pahna_cli("settle", "--period", "1404-09", "--json", *home).stdout)
    (line,) = [ln for ln in later["lines"] if ln["producer_id"] == pid]
    assert line["adjustments"][0]["original_period"] == PERIOD
    assert line["amount_minor"] == 0  # no traffic in 1404-09: the claw-back is carried
    assert (line["balance_minor"], line["payable_minor"], line["carried_out_minor"]) == (
        -1000, 0, -1000)

    again = pahna_cli("payments", "export", "--period", PERIOD, *home, check=False)
    assert again.returncode == 65 and "for payment again (it was exported)" in again.stderr


def test_final_cannot_change_and_tampering_is_named(workspace: Workspace, pahna_cli,
                                                    tmp_path: Path) -> None:
    build_month(workspace)
    home = ["--home", str(workspace.home)]
    tariff_file = tmp_path / "incentive.toml"
    tariff_file.write_text(TARIFF, encoding="utf-8")
    pahna_cli("tariff", "import", str(tariff_file), *home)
    pahna_cli("settle", "finalize", "--period", PERIOD, *home)
    final = workspace.home / "ledger" / PERIOD / "final-r1.json"
    before = final.read_bytes()

    costs = tmp_path / "costs.csv"
    costs.write_text(f"producer_id,period,production,distribution\nx,{PERIOD},1,1\n",
                     encoding="utf-8")
    tariff_file.write_text(TARIFF.replace("400000000", "1"), encoding="utf-8")
    for attempt in (("settle", "--period", PERIOD), ("settle", "finalize", "--period", PERIOD),
                    ("costs", "import", str(costs)), ("tariff", "import", str(tariff_file))):
        result = pahna_cli(*attempt, *home, check=False)
        assert result.returncode != 0, attempt
    inside = pahna_cli("statements", "export", "--period", PERIOD, "--out",
                       str(workspace.statements_dir(PERIOD) / "final-r1"), *home, check=False)
    assert inside.returncode != 0 and "never rewritten" in inside.stderr
    assert final.read_bytes() == before

    pahna_cli("settle", "void", "--period", PERIOD, "--reason", "wrong tariff", *home)
    assert "final revision 2" in pahna_cli("settle", "finalize", "--period", PERIOD,
                                           *home).stdout
    assert final.read_bytes() == before  # the voided revision is kept as it was
    assert (final.parent / "void-r1.json").exists() and (final.parent / "final-r2.json").exists()
    assert "r2 verifies" in pahna_cli("settle", "verify", "--period", PERIOD, *home).stdout
    status = json.loads(pahna_cli("settle", "status", "--period", PERIOD, "--json", *home).stdout)
    assert status["status"] == "final"
    assert [(r["revision"], r["void"]) for r in status["revisions"]] == [(1, True), (2, False)]
    events = [json.loads(line) for line in
              (workspace.home / "ledger" / "events.jsonl").read_text().splitlines()]
    refused = [e["attempt"] for e in events if e["action"] == "refused"]
    assert refused[:3] == ["settle (a new draft)", "finalize", "importing costs"]
    assert refused[3].startswith("statements export into")

    late = generate_month(demo_producers()[:4], PERIOD, 40, seed=8)
    datagrams = [Datagram(address_to_bytes("127.0.0.1"), m, 0) for m in encode_flows(late)]
    assert Ingestor(workspace).ingest_datagrams(datagrams, "late").records == 40
    result = pahna_cli("settle", "verify", "--period", PERIOD, *home)
    assert "r2 verifies" in result.stdout and "committed after finalizing" in result.stdout
    engine = open_registry(workspace.registry_url)  # a producer who joins later
    add_producer(engine, Producer("qom-new", "New", "", "IR-25", "student_startup"), "test")
    add_prefix_claim(engine, PrefixClaim("qom-new", ipaddress.ip_network("185.200.0.0/16"),
                                         JalaliMonth.parse("1404-10").start_ms, None))
    result = pahna_cli("settle", "verify", "--period", PERIOD, *home)
    assert "r2 verifies" in result.stdout and "registry_version was" in result.stdout

    sealed = json.loads((final.parent / "final-r2.json").read_text(encoding="utf-8"))
    victim = workspace.store_dir / sealed["seal"]["inputs"]["manifests"][0]["files"][0]["path"]
    table = pq.read_table(victim)
    victim.chmod(0o644)
    pq.write_table(table.slice(1), victim)
    result = pahna_cli("settle", "verify", "--period", PERIOD, *home, check=False)
    assert result.returncode != 0
    assert str(victim.relative_to(workspace.home)) in result.stderr
