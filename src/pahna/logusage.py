"""Wiring of web logs into a month's settlement (like `settlement.py`, which calls it, it
holds no rules of its own): the month's stored logs, or a final's sealed ones; their
usage under the basis' rules on the configured engine; operators' flows shared among
their tenants (settle.tenants); the client networks producers served through logs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import pyarrow as pa

from pahna.aggregate.engines import get_engine
from pahna.aggregate.kernel import Rules
from pahna.aggregate.queries import LogQuery, log_usage_schema
from pahna.calendar import JalaliMonth, jalali_date_text
from pahna.integrity.records import Hold
from pahna.ledger.basis import Basis
from pahna.parties import OPERATOR
from pahna.registry.rules import rules_from_snapshot
from pahna.settle.statements import Reviewed
from pahna.settle.tenants import LOG_GROUP, ContentShares, share_operators
from pahna.store.logs import LogManifest, read_log_manifests
from pahna.workspace import Workspace


def month_log_manifests(workspace: Workspace, period: str) -> list[LogManifest]:
    """Stored logs with records in the month."""
    month = JalaliMonth.parse(period)
    return [m for m in read_log_manifests(workspace.store_dir)
            if m.start_ms is not None and m.end_ms is not None
            and m.start_ms < month.end_ms and m.end_ms >= month.start_ms]


def log_files_of(workspace: Workspace, manifests: list[LogManifest]) -> list[Path]:
    return sorted(workspace.store_dir / f.path for m in manifests for f in m.files)


def sealed_log_files(workspace: Workspace, record: dict[str, Any]) -> list[Path]:
    """The log files a final sealed (none for a final of a month without logs)."""
    return sorted(workspace.store_dir / f["path"]
                  for m in record["seal"]["inputs"].get("log_manifests", []) for f in m["files"])


def month_log_usage(workspace: Workspace, period: str, log_files: list[Path], rules: Rules,
                    engine_name: str | None = None, group_by: tuple[str, ...] = LOG_GROUP,
                    counted: bool = False, clients: bool = False) -> pa.Table:
    """Web-log usage of `log_files` in the month under `rules` (aggregate LogQuery; with
    `clients`, distinct client networks too); no engine is started when there are no
    logs."""
    month = JalaliMonth.parse(period)
    query = LogQuery(str(month), month.start_ms, month.end_ms, group_by, counted, clients)
    if not log_files:
        return log_usage_schema(query).empty_table()
    settings = workspace.config.aggregate
    engine = get_engine(engine_name or settings.engine, settings.memory_limit,
                        spark=settings.spark, store_dir=workspace.store_dir,
                        threads=settings.threads)
    return engine.log_usage(log_files, query, rules)


@dataclass(frozen=True)
class ContentInputs:
    shares: ContentShares
    client_networks: dict[str, int]  # distinct client networks of counted requests
    client_bytes: dict[str, dict[int, Fraction]]  # their bytes, scaled to what counted


def _clients(table: pa.Table, shares: ContentShares, operators: set[str]
             ) -> tuple[dict[str, int], dict[str, dict[int, Fraction]]]:
    logged: dict[str, dict[int, int]] = defaultdict(dict)
    for row in table.to_pylist():
        pid = row["producer_id"]
        if pid is not None and pid not in operators and row["client_net"] is not None:
            logged[pid][row["client_net"]] = int(row["bytes"])
    scaled: dict[str, dict[int, Fraction]] = {}
    for pid, networks in logged.items():
        total, settled = sum(networks.values()), shares.from_logs(pid)
        scaled[pid] = {net: Fraction(v * settled, total) for net, v in networks.items()
                       if total}
    return {pid: len(nets) for pid, nets in logged.items()}, scaled


def content_inputs(workspace: Workspace, period: str, basis: Basis, usage: pa.Table,
                   log_files: list[Path], engine_name: str | None = None) -> ContentInputs:
    """Operators' flow usage shared by their tenants' logs, logs alone added, reconciled
    (settle.tenants); and the client networks each producer's counted requests reached,
    their bytes scaled to what the producer was given from logs."""
    rules = rules_from_snapshot(basis.rules)
    operators = {p.id for p in basis.producers if p.role == OPERATOR}
    logs = month_log_usage(workspace, period, log_files, rules, engine_name)
    shares = share_operators(usage, logs, operators,
                             Fraction(basis.tariff.content_terms.tolerance), jalali_date_text)
    clients = month_log_usage(workspace, period, log_files, rules, engine_name,
                              ("producer_id", "client_net"), counted=True)
    networks, client_bytes = _clients(clients, shares, operators)
    return ContentInputs(shares, networks, client_bytes)


def merged_client_bytes(flows: dict[str, dict[int, int]],
                        logs: dict[str, dict[int, Fraction]], operators: set[str]
                        ) -> dict[str, dict[int, Fraction]]:
    """Bytes per producer and client network from flows and from logs together (an
    operator's own are left out: it is never paid)."""
    out: dict[str, dict[int, Fraction]] = {}
    for source in (flows, logs):
        for pid, networks in source.items():
            if pid in operators:
                continue
            mine = out.setdefault(pid, {})
            for net, value in networks.items():
                mine[net] = mine.get(net, Fraction(0)) + value
    return out


def with_holds(reviewed: Reviewed | None, holds: Mapping[str, tuple[Hold, ...]]
               ) -> Reviewed | None:
    """Integrity's review with the reconciliation's holds added to each tenant's (a
    review of no integrity policy when the tariff has none: no document, no exclusions)."""
    if not holds:
        return reviewed
    base = reviewed or Reviewed({}, {}, {})
    merged = dict(base.holds)
    for pid, found in holds.items():
        merged[pid] = (*merged.get(pid, ()), *found)
    return Reviewed(base.document, base.exclusions, merged)
