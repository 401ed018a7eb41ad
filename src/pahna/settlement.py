"""Wiring of a month's settlement: its basis and usage in; drafts, sealed finals, verify,
explain, statements and payments out. Like `pipeline.py` (which re-exports these), it
puts the stages together (registry, aggregate, settle, ledger, report) and holds no
rules of its own.

A final is computed from, and keeps, its basis (`ledger.basis`): the registry's rules
over the month's window, the producer records, the tariff, costs, adjustments and the
balances carried in. `verify`, `explain` and the portal replay a final from its basis and
its sealed raw files, never from today's registry.
"""

from __future__ import annotations

import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any

import pyarrow as pa

from pahna.aggregate.base import Engine
from pahna.aggregate.engines import get_engine
from pahna.aggregate.kernel import Rules
from pahna.aggregate.queries import MAX_FLOW_MS, UsageQuery
from pahna.calendar import JalaliMonth
from pahna.errors import (
    ClosedPeriodError,
    DraftChangedError,
    PeriodBusyError,
    SettlementError,
    TariffError,
)
from pahna.integrity.history import previous_sent
from pahna.integrity.review import month_under_review, review_basis, signal_request
from pahna.integrity.versions import versions_in
from pahna.ledger.basis import Basis
from pahna.ledger.book import Ledger
from pahna.ledger.seal import Seal, period_manifests, registry_version, seal_inputs
from pahna.ledger.verify import (
    sealed_tariff,
)
from pahna.logusage import (
    content_inputs,
    log_files_of,
    merged_client_bytes,
    month_log_manifests,
    with_holds,
)
from pahna.parties import OPERATOR, Producer
from pahna.registry.closures import close_period, closed_periods, reopen_period
from pahna.registry.database import open_registry
from pahna.registry.producers import list_producers
from pahna.registry.renames import refuse_invalid_ids
from pahna.registry.rules import province_codes, rules_from_snapshot, rules_snapshot
from pahna.report.statements import (
    CSV_LAYOUT,
    final_layout,
    publish_statements,
    write_statements,
)
from pahna.schema import BIN_MS
from pahna.settle.document import settlement_digest, to_document
from pahna.settle.money import Currency
from pahna.settle.statements import Settlement, SettlementInputs, settle_period
from pahna.settle.tariffs import Tariff, tariff_for
from pahna.settle.usage import assemble_usage
from pahna.store.logs import log_manifest_entries
from pahna.store.manifests import Manifest
from pahna.store.retraction import find_batch, retract
from pahna.workspace import Workspace

# -- what a month is computed from ------------------------------------------------------


def month_window(month: JalaliMonth) -> tuple[int, int]:
    """Flow start times a month's usage reads: a flow may start up to MAX_FLOW_MS before
    the month and still reach into it. Its attribution rules are frozen over this."""
    return month.start_ms - MAX_FLOW_MS, month.end_ms


def load_tariffs(workspace: Workspace) -> list[Tariff]:
    out = []
    for path in sorted(workspace.tariffs_dir.glob("*.toml")):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise SettlementError(f"{path}: not valid TOML: {exc}") from exc
        out.append(Tariff.from_dict(data, source=str(path)))
    return out


def workspace_currency(workspace: Workspace) -> Currency:
    return Currency(workspace.config.settle.currency, workspace.config.settle.minor_units)


def _producers(workspace: Workspace) -> tuple[Producer, ...]:
    """Producer records as settlement reads them (IBAN and contact left out: payments read
    the IBAN in force when paying)."""
    return tuple(replace(p, iban=None, contact=None)
                 for p in list_producers(open_registry(workspace.registry_url)))


def current_basis(workspace: Workspace, period: str) -> Basis:
    """The basis `period` would be settled on now: registry, tariffs and ledger as they are."""
    month = JalaliMonth.parse(period)
    ledger = Ledger(workspace.home)
    tariff = tariff_for(load_tariffs(workspace), period)
    currency = workspace_currency(workspace)
    if tariff.currency != currency.code:
        raise TariffError(f"tariff {tariff.id} v{tariff.version} is in {tariff.currency}; "
                          f"the workspace settles in {currency.code}")
    rules = rules_snapshot(open_registry(workspace.registry_url), month_window(month))
    costs = {pid: sum(parts) for pid, parts in ledger.costs(period).items()}
    adjustments = tuple(a for a in ledger.adjustments() if a.period == period)
    previous = previous_sent(ledger, month) if tariff.integrity is not None else {}
    return Basis(rules, _producers(workspace), tariff, costs, adjustments,
                 ledger.carried_into(period), versions_in(workspace, month_window(month)),
                 previous)


def _legacy_basis(workspace: Workspace, period: str, record: dict[str, Any]) -> Basis:
    """The basis of a final sealed before finals kept theirs: today's registry rules and
    producers (those on the statement), the sealed tariff, the ledger's costs."""
    month = JalaliMonth.parse(period)
    sealed_ids = {line["producer_id"] for line in record["settlement"]["lines"]}
    ledger = Ledger(workspace.home)
    return Basis(rules_snapshot(open_registry(workspace.registry_url), month_window(month)),
                 tuple(p for p in _producers(workspace) if p.id in sealed_ids),
                 sealed_tariff(load_tariffs(workspace), record["seal"]["inputs"]["tariff"]),
                 {pid: sum(parts) for pid, parts in ledger.costs(period).items()},
                 tuple(ledger.adjustments()))


def final_basis(workspace: Workspace, record: dict[str, Any]) -> Basis:
    """The basis a final was computed from (kept in it; rebuilt for an old final)."""
    if "basis" in record:
        return Basis.from_document(record["basis"])
    return _legacy_basis(workspace, record["period"], record)


def month_manifests(workspace: Workspace, period: str) -> list[Manifest]:
    return period_manifests(workspace.store_dir, *month_window(JalaliMonth.parse(period)))


def _files(workspace: Workspace, manifests: list[Manifest]) -> list[Path]:
    return sorted(workspace.store_dir / f.path for m in manifests for f in m.files)


def month_files(workspace: Workspace, period: str) -> list[Path]:
    """The raw files of every batch committed for the month (what a draft reads)."""
    return _files(workspace, month_manifests(workspace, period))


def sealed_files(workspace: Workspace, record: dict[str, Any]) -> list[Path]:
    return sorted(workspace.store_dir / f["path"] for m in record["seal"]["inputs"]["manifests"]
                  for f in m["files"])


def final_in_force(workspace: Workspace, period: str) -> dict[str, Any] | None:
    ledger = Ledger(workspace.home)
    return ledger.final(period) if ledger.active_revision(period) is not None else None


# -- usage and settlement inputs --------------------------------------------------------


def month_engine(workspace: Workspace, engine_name: str | None = None) -> Engine:
    """The aggregation engine a run uses: `engine_name`, else the workspace's."""
    settings = workspace.config.aggregate
    return get_engine(engine_name or settings.engine, settings.memory_limit,
                      spark=settings.spark, store_dir=workspace.store_dir,
                      threads=settings.threads)


def month_usage(workspace: Workspace, period: str, files: list[Path], rules: Rules,
                engine_name: str | None = None,
                group_by: tuple[str, ...] = ("producer_id",)) -> pa.Table:
    month = JalaliMonth.parse(period)
    return month_engine(workspace, engine_name).usage(
        files, UsageQuery(str(month), month.start_ms, month.end_ms, group_by), rules)


def period_inputs(workspace: Workspace, period: str) -> tuple[list[Path], Rules]:
    """The files and rules a month's usage is computed from: a final month's sealed ones,
    any other month's from the store and registry as they are."""
    period = str(JalaliMonth.parse(period))
    record = final_in_force(workspace, period)
    if record is not None:
        basis = final_basis(workspace, record)
        return sealed_files(workspace, record), rules_from_snapshot(basis.rules)
    window = month_window(JalaliMonth.parse(period))
    rules = rules_from_snapshot(rules_snapshot(open_registry(workspace.registry_url), window))
    return _files(workspace, month_manifests(workspace, period)), rules


def usage_for_period(workspace: Workspace, period: str, engine_name: str | None = None,
                     group_by: tuple[str, ...] = ("producer_id",)) -> pa.Table:
    """Sampling-scaled usage for a Jalali month, summed over `group_by` (period_inputs)."""
    files, rules = period_inputs(workspace, period)
    return month_usage(workspace, period, files, rules, engine_name, group_by)


def settlement_rules(basis: Basis) -> Rules:
    """The basis' attribution rules, with each owner's province (for intra-province
    bytes: same code, same province)."""
    rules = rules_from_snapshot(basis.rules)
    return replace(rules, provinces=province_codes(rules.claims.owners, basis.producers))


def settlement_inputs(workspace: Workspace, period: str, basis: Basis, files: list[Path],
                      currency: Currency, engine_name: str | None = None,
                      log_files: list[Path] | None = None
                      ) -> tuple[SettlementInputs, pa.Table]:
    """Everything settlement needs for a month, from one pass of the engine over `files`
    (flows) under the basis' rules (usage, received bytes, client networks,
    intra-province bytes), the web logs of `log_files` (None: the month's stored logs)
    with operators' flows shared among their tenants (pahna.logusage), and the basis'
    tariff, costs, adjustments and carries. When the tariff has [integrity], the month is
    reviewed too (exclusions reduce the usage priced); holds, integrity's and those of
    the log/flow reconciliation, come back in `integrity`."""
    month = JalaliMonth.parse(period)
    query = UsageQuery(str(month), month.start_ms, month.end_ms,
                       ("producer_id", "traffic_class", "bin_start_ms"),
                       client_bytes=basis.tariff.content is not None)
    engine = month_engine(workspace, engine_name)
    review = request = None
    if basis.tariff.integrity is not None:  # integrity's sums made in the same pass
        review = month_under_review(files, month, basis)
        request = signal_request(review, basis.tariff.integrity)
    tables = engine.settlement(files, query, settlement_rules(basis), request)
    producers = [p for p in basis.producers if p.role != OPERATOR]
    usage, reviewed = tables.usage, None
    if review is not None:  # integrity: signals, exclusions, holds
        counted = assemble_usage(producers, usage, tables.received, tables.client_networks,
                                 tables.intra_province_bytes)
        reviewed, usage = review_basis(engine, review, basis, counted, usage, tables.signals)
    if log_files is None:
        log_files = log_files_of(workspace, month_log_manifests(workspace, period))
    content = content_inputs(workspace, period, basis, usage, log_files, engine_name)
    networks = {pid: max(n, content.client_networks.get(pid, 0)) for pid, n in
                {**content.client_networks, **tables.client_networks}.items()}
    inputs = SettlementInputs(
        str(month), (month.end_ms - month.start_ms) // BIN_MS,
        tuple(assemble_usage(producers, content.shares.usage, tables.received, networks,
                             tables.intra_province_bytes)),
        basis.tariff, currency, basis.costs, basis.adjustments, basis.carried,
        with_holds(reviewed, content.shares.holds),
        merged_client_bytes(tables.client_bytes, content.client_bytes,
                            {p.id for p in basis.producers if p.role == OPERATOR}))
    return inputs, usage


# -- drafts and finals --------------------------------------------------------------------


def settle(workspace: Workspace, period: str, engine_name: str | None = None
           ) -> tuple[Settlement, list[Path], pa.Table]:
    """Draft settlement for a month; writes the statements and returns their paths.

    Refused (and logged) when the month has a final statement in force."""
    ledger = Ledger(workspace.home)
    period = str(JalaliMonth.parse(period))
    ledger.guard(period, "settle (a new draft)")
    refuse_invalid_ids(open_registry(workspace.registry_url))
    basis = current_basis(workspace, period)
    files = _files(workspace, month_manifests(workspace, period))
    inputs, usage = settlement_inputs(workspace, period, basis, files,
                                      workspace_currency(workspace), engine_name)
    settlement = settle_period(inputs)
    ledger.write_draft(period, to_document(settlement))
    paths = write_statements(settlement, workspace.statements_dir(settlement.period))
    return settlement, paths, usage


def _seal_record(workspace: Workspace, period: str, engine_name: str | None
                 ) -> tuple[Settlement, dict[str, Any]]:
    """Compute the month from a pinned set of batches and its basis; the final record."""
    basis = current_basis(workspace, period)
    manifests = month_manifests(workspace, period)
    logs = month_log_manifests(workspace, period)
    inputs, _ = settlement_inputs(workspace, period, basis, _files(workspace, manifests),
                                  workspace_currency(workspace), engine_name,
                                  log_files_of(workspace, logs))
    settlement = settle_period(inputs)
    tariff = {"id": settlement.tariff_id, "version": settlement.tariff_version,
              "digest": settlement.tariff_digest}
    registry = registry_version(open_registry(workspace.registry_url))
    sealed = seal_inputs(manifests, registry, tariff, basis.digest)
    if logs:  # months without web logs keep the seal they always had
        sealed["log_manifests"] = log_manifest_entries(logs)
    if CSV_LAYOUT != 1:  # the statements' CSV layout (finals before it was numbered: 1)
        sealed["statement_layout"] = CSV_LAYOUT
    seal = Seal(sealed, settlement_digest(settlement))
    return settlement, {"period": period, "basis": basis.document(), "seal": seal.record(),
                        "settlement": to_document(settlement)}


def finalize(workspace: Workspace, period: str, actor: str = "cli",
             engine_name: str | None = None, reviewed_sha256: str | None = None
             ) -> tuple[Settlement, int, list[Path]]:
    """Seal the month as its next final revision, under the period's lock: close it in
    the registry, compute it from pinned batches and its basis, write its statements
    (a folder that appears whole), then create the final record exclusively. With
    `reviewed_sha256` (the portal), refuse unless the result is exactly the draft that
    was reviewed. Whatever fails, or is killed, before the record exists leaves no final."""
    period = str(JalaliMonth.parse(period))
    ledger, registry = Ledger(workspace.home), open_registry(workspace.registry_url)
    with ledger.lock(period, "finalize"):
        ledger.guard(period, "finalize", actor)
        refuse_invalid_ids(registry)
        revision = ledger.next_revision(period)
        close_period(registry, period, month_window(JalaliMonth.parse(period)), revision,
                     actor)
        try:
            settlement, record = _seal_record(workspace, period, engine_name)
            digest = settlement_digest(settlement)
            if reviewed_sha256 is not None and digest != reviewed_sha256:
                ledger.log("refused", period, actor, attempt="finalize a reviewed draft",
                           reviewed_sha256=reviewed_sha256, recomputed_sha256=digest)
                raise DraftChangedError(period, reviewed_sha256, digest)
            content_hash = record["seal"]["content_hash"]
            paths = publish_statements(settlement, workspace.statements_dir(period) /
                                       f"final-r{revision}", f"final-r{revision}", content_hash,
                                       final_layout(record))
            ledger.write_final(period, record, actor, revision)
        except BaseException:
            if ledger.active_revision(period) is None:
                reopen_period(registry, period, actor, "finalize did not complete")
            raise
    return settlement, revision, paths


def void(workspace: Workspace, period: str, reason: str, actor: str = "cli") -> int:
    """Void the final in force and reopen the month in the registry (void and reissue)."""
    period = str(JalaliMonth.parse(period))
    ledger = Ledger(workspace.home)
    with ledger.lock(period, "void"):
        revision = ledger.void(period, reason, actor)
        reopen_period(open_registry(workspace.registry_url), period, actor,
                      f"revision {revision} voided: {reason}")
    return revision


def sync_closure(workspace: Workspace, period: str, actor: str = "cli") -> None:
    """Make the registry's closing of `period` agree with the ledger: closed while a
    final is in force, open otherwise (a finalize killed half way left it closed).
    Nothing is done while another command holds the period."""
    period = str(JalaliMonth.parse(period))
    ledger, registry = Ledger(workspace.home), open_registry(workspace.registry_url)
    try:
        with ledger.lock(period, "status"):
            revision = ledger.active_revision(period)
            closed = {c.period: c for c in closed_periods(registry)}.get(period)
            if revision is None and closed is not None:
                reopen_period(registry, period, actor, "no final was written")
            elif revision is not None and (closed is None or closed.revision != revision):
                close_period(registry, period, month_window(JalaliMonth.parse(period)),
                             revision, actor)
    except PeriodBusyError:
        return


# -- the raw store ------------------------------------------------------------------------


def retract_batch(workspace: Workspace, key: str, reason: str, actor: str = "cli") -> Path:
    """Retract a committed batch (store.retraction) unless a month that reads it is final
    (a final's batches are sealed with it: correct it with an adjustment); logged."""
    manifest = find_batch(workspace.store_dir, key)
    ledger = Ledger(workspace.home)
    for record in ledger.finals_in_force():
        window = month_window(JalaliMonth.parse(record["period"]))
        if (manifest.start_ms is not None and manifest.end_ms is not None
                and manifest.start_ms < window[1] and manifest.end_ms >= window[0]):
            attempt = f"retracting batch {manifest.batch_id}"
            ledger.log("refused", record["period"], actor, attempt=attempt)
            raise ClosedPeriodError(record["period"], int(record["revision"]), attempt)
    path = retract(workspace.store_dir, manifest, reason, actor)
    ledger.log("retract", "-", actor, batch_id=manifest.batch_id,
               content_hash=manifest.content_hash, source=manifest.source, reason=reason,
               record=str(path.relative_to(workspace.home)))
    return path


# -- tariffs ------------------------------------------------------------------------------


def import_tariff(workspace: Workspace, path: Path, actor: str = "cli") -> Tariff:
    """Check a tariff file and copy it into the workspace. Refused: a known id and version
    with other terms, and a tariff whose validity covers a final month (logged)."""
    try:
        new = Tariff.from_dict(tomllib.loads(path.read_text("utf-8")), source=str(path))
    except tomllib.TOMLDecodeError as exc:
        raise TariffError(f"{path}: not valid TOML: {exc}") from exc
    for old in load_tariffs(workspace):
        if (old.id, old.version) == (new.id, new.version) and old.digest != new.digest:
            raise TariffError(f"{path}: tariff {new.id} version {new.version} already exists "
                              "with other terms; give the new terms a new version")
    ledger = Ledger(workspace.home)
    for record in ledger.finals_in_force():
        if new.covers(record["period"]):
            attempt = (f"tariff {new.id} v{new.version} valid from {new.valid_from} to "
                       f"{new.valid_to or 'open'}")
            ledger.log("refused", record["period"], actor, attempt=f"importing {attempt}")
            raise ClosedPeriodError(record["period"], int(record["revision"]), attempt)
    target = workspace.tariffs_dir / f"{new.id}-v{new.version}.toml"
    target.write_bytes(path.read_bytes())
    return new
