"""A small settled month with one producer inflated by a flat, machine-like pull and
bots in a data centre pulling from another, under a tariff whose [integrity] policy
holds the first and excludes the second (tests of the CLI, the portal and the browser)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.orm import Session
from tests.flowgen import Flow, flow_table
from tests.ibans import iban_with_check_digits
from tests.unit.web.conftest import PERIOD, build_workspace

from pahna.calendar import JalaliMonth
from pahna.integrity.versions import import_hosting
from pahna.ledger.book import Ledger
from pahna.registry.database import open_registry
from pahna.registry.instants import parse_instant
from pahna.registry.models import ProducerRow
from pahna.settlement import finalize
from pahna.store.writer import write_batch
from pahna.workspace import Workspace

MONTH = JalaliMonth.parse(PERIOD)
INFLATED = "qom-tv"  # 185.101.0.0/22
BOT_CLIENT = "203.0.113.0/24"  # a data centre whose bots pull from teh-news
BOT_BYTES = 300 * 40_000
TARIFF = """\
id = "incentive-test"
version = 2
valid_from = "1404-01"
pool_minor = 5000000000

[volume]
model = "flat"
rate_per_gb = "50000000"
billed_classes = ["domestic", "international", "unknown"]

[integrity]
exclude_self = true
exclude_hosting = true
machine_min_repeats = 10

[[integrity.holds]]
signal = "machine_share"
above = "0.3"
"""
HOSTING = f"# data centres\n{BOT_CLIENT}\nAS64500\n"


def inflate(workspace: Workspace) -> None:
    """As many bytes again as the producer's real traffic (so half of what it serves), in
    identical flows to two client networks every 5 minutes around the clock; and bots in
    a data centre pulling from teh-news."""
    draft = Ledger(workspace.home).draft(PERIOD)
    assert draft is not None
    real = next(ln for ln in draft["lines"] if ln["producer_id"] == INFLATED)
    real_bytes = real["domestic_bytes"] + real["international_bytes"] + real["unknown_bytes"]
    bins = (MONTH.end_ms - MONTH.start_ms) // 300_000
    flows = [Flow("185.101.0.9", f"2.176.{200 + n % 2}.{1 + n % 50}", real_bytes // bins,
                  MONTH.start_ms + n * 300_000) for n in range(bins)]
    flows += [Flow("185.104.0.5", f"203.0.113.{n % 200}", BOT_BYTES // 300,
                   MONTH.start_ms + n * 3_600_000) for n in range(300)]
    write_batch(workspace.store_dir, flow_table(flows), "red-team",
                hashlib.sha256(b"integrity-inflated").hexdigest())


def give_ibans(workspace: Workspace) -> None:
    with Session(open_registry(workspace.registry_url)) as session:
        for number, pid in enumerate(("qom-tv", "qom-univ", "teh-news"), start=1):
            session.execute(update(ProducerRow).where(ProducerRow.id == pid).values(
                iban=iban_with_check_digits(f"0170000000{number:012d}")))
        session.commit()


def inflated_month(home: Path) -> Workspace:
    """The month drafted under the first tariff, then inflated, with the integrity tariff
    and the hosting list in place (not yet final)."""
    workspace = build_workspace(home)
    give_ibans(workspace)
    inflate(workspace)
    (workspace.tariffs_dir / "t2.toml").write_text(TARIFF, encoding="utf-8")
    (home / "hosting.txt").write_text(HOSTING, encoding="utf-8")
    import_hosting(workspace, [home / "hosting.txt"], parse_instant("1404-01-01"))
    return workspace


def inflated_final(home: Path) -> Workspace:
    workspace = inflated_month(home)
    finalize(workspace, PERIOD)
    return workspace
