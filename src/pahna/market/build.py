"""The market's figures of a month, computed once per final and kept as a file.

Only a month with a final in force (final or paid) is published, like the public totals:
its figures are computed through the aggregation engine (DuckDB or Spark, the same
answers) from what the final sealed (its flow batches, its logs, its basis: claims,
producers, tariff, and the catalogue entries its claims name), so they are the bytes
settlement counted, and they do not move when the registry or the store does. Titles,
categories and provinces are the entries' as the final sealed them (the catalogue's
when the figures are built, for a final sealed before its snapshot kept them). The
file, `market/PERIOD.json` in the workspace, names the final's revision and content
hash; a void and reissue makes it stale (`is_current`).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from pahna.calendar import JalaliMonth, jalali_date_text
from pahna.ledger.book import Ledger
from pahna.logusage import month_log_usage, sealed_log_files
from pahna.market.figures import ItemMonth, client_network_counts, item_bytes, month_items
from pahna.parties import OPERATOR, ContentItem
from pahna.registry.catalogue import list_items
from pahna.registry.database import open_registry
from pahna.registry.rules import rules_from_snapshot
from pahna.settle.tenants import LOG_GROUP, share_operators
from pahna.settlement import final_basis, month_usage, sealed_files
from pahna.workspace import Workspace

FORMAT = 1
USAGE_GROUP = ("producer_id", "traffic_class", "bin_start_ms")


@dataclass(frozen=True)
class MarketMonth:
    """A published month: the final it comes from and its items' figures."""

    period: str
    revision: int
    content_hash: str
    items: tuple[ItemMonth, ...]

    def document(self) -> dict[str, Any]:
        return {"format": FORMAT, "period": self.period, "revision": self.revision,
                "content_hash": self.content_hash,
                "items": [asdict(item) for item in self.items]}

    @classmethod
    def from_document(cls, data: dict[str, Any]) -> MarketMonth:
        return cls(data["period"], int(data["revision"]), data["content_hash"],
                   tuple(ItemMonth(**item) for item in data["items"]))


def market_dir(workspace: Workspace) -> Path:
    return workspace.home / "market"


def month_path(workspace: Workspace, period: str) -> Path:
    return market_dir(workspace) / f"{JalaliMonth.parse(period)}.json"


def compute_month(workspace: Workspace, period: str, engine_name: str | None = None
                  ) -> MarketMonth:
    """The month's figures from its final in force (LedgerError when it has none)."""
    period = str(JalaliMonth.parse(period))
    record = Ledger(workspace.home).final(period)
    basis = final_basis(workspace, record)
    logs = sealed_log_files(workspace, record)
    rules = rules_from_snapshot(basis.rules)
    operators = {p.id for p in basis.producers if p.role == OPERATOR}
    usage = month_usage(workspace, period, sealed_files(workspace, record), rules,
                        engine_name, USAGE_GROUP)
    requests = month_log_usage(workspace, period, logs, rules, engine_name,
                               (*LOG_GROUP, "content_id"))
    shares = share_operators(usage, requests, operators,
                             Fraction(basis.tariff.content_terms.tolerance), jalali_date_text)
    clients = month_log_usage(workspace, period, logs, rules, engine_name, ("content_id",),
                              counted=True, clients=True)
    catalogue = sealed_catalogue(basis.rules) or {
        item.id: item for item in list_items(open_registry(workspace.registry_url))}
    items = month_items(period, catalogue, item_bytes(shares, requests, operators),
                        client_network_counts(clients))
    return MarketMonth(period, int(record["revision"]), record["seal"]["content_hash"],
                       tuple(items))


def sealed_catalogue(rules: dict[str, Any]) -> dict[str, ContentItem]:
    """The catalogue entries a final's rules snapshot keeps (as they were when it was
    sealed; empty for a final sealed before snapshots kept them)."""
    return {row[0]: ContentItem(*row) for row in rules.get("contents", [])}


def write_month(workspace: Workspace, month: MarketMonth) -> Path:
    """Keep the month's figures (written whole, then renamed into place)."""
    path = month_path(workspace, month.period)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(month.document(), ensure_ascii=False, indent=1),
                         encoding="utf-8")
    os.replace(temporary, path)
    return path


def read_month(workspace: Workspace, period: str) -> MarketMonth | None:
    path = month_path(workspace, period)
    if not path.is_file():
        return None
    return MarketMonth.from_document(json.loads(path.read_text(encoding="utf-8")))


def is_current(workspace: Workspace, month: MarketMonth) -> bool:
    """True while the final the figures come from is the one in force."""
    return Ledger(workspace.home).active_revision(month.period) == month.revision


def pending_periods(workspace: Workspace) -> list[str]:
    """Months with a final in force whose figures are missing or stale, oldest first."""
    ledger, out = Ledger(workspace.home), []
    for period in ledger.periods():
        revision = ledger.active_revision(period)
        if revision is None:
            continue
        held = read_month(workspace, period)
        if held is None or held.revision != revision:
            out.append(period)
    return out


def build_month(workspace: Workspace, period: str, engine_name: str | None = None
                ) -> MarketMonth:
    month = compute_month(workspace, period, engine_name)
    write_month(workspace, month)
    return month
