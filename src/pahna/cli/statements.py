"""`pahna statements export`, `pahna payments export` and `pahna explain`."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from pahna.calendar import TEHRAN, JalaliMonth, jalali_date_text
from pahna.cli.options import home_option, json_option, workspace_from
from pahna.errors import ImmutableStatementError, LedgerError
from pahna.ledger.book import Ledger
from pahna.payouts import confirm_payments, export_payments
from pahna.pipeline import explain
from pahna.rebuilding import rebuild_statements
from pahna.report.numerals import format_money
from pahna.report.statements import CSV_LAYOUT, FORMATS, export_statements, final_layout
from pahna.schema import address_to_text
from pahna.settle.document import from_document
from pahna.settle.money import Currency, round_minor
from pahna.settle.statements import Settlement, StatementLine


def _statements(ledger: Ledger, period: str) -> tuple[Settlement, str, str | None, int]:
    """The final in force (with its content hash and CSV layout), else the draft."""
    revision = ledger.active_revision(period)
    if revision is not None:
        record = ledger.final(period, revision)
        return (from_document(record["settlement"]), f"final-r{revision}",
                record["seal"]["content_hash"], final_layout(record))
    draft = ledger.draft(period)
    if draft is None:
        raise LedgerError(f"{period} has no statements yet; run `pahna settle --period "
                          f"{period}` first")
    return from_document(draft), "draft", None, CSV_LAYOUT


@click.group()
def statements() -> None:
    """Statements of a month, as files."""


@statements.command("rebuild")
@click.option("--period", required=True)
@home_option
def rebuild_command(period: str, home: str | None) -> None:
    """Write the final's statement files again from its sealed record (after a crash or a
    lost file); the files that were missing or differed are named."""
    paths, repaired = rebuild_statements(workspace_from(home), period)
    where = os.path.commonpath(paths) if len(paths) > 1 else (paths[0].parent if paths else "-")
    click.echo(f"{len(paths)} files in {where}; repaired: "
               + (", ".join(repaired) or "none"))


@statements.command("export")
@click.option("--period", required=True)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="csv", show_default=True)
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Folder to write into (default HOME/exports/PERIOD/STATUS).")
@home_option
def export_command(period: str, fmt: str, out: str | None, home: str | None) -> None:
    """Export the month's statements (the final in force, else the draft)."""
    workspace = workspace_from(home)
    period = str(JalaliMonth.parse(period))
    ledger = Ledger(workspace.home)
    settlement, status, content_hash, layout = _statements(ledger, period)
    folder = (Path(out) if out else workspace.home / "exports" / period / status).resolve()
    protected = (ledger.root.resolve(), workspace.statements_dir(period).resolve())
    if any(folder == p or p in folder.parents for p in protected):
        ledger.log("refused", period, attempt=f"statements export into {folder}")
        raise ImmutableStatementError(f"{folder}: statements are exported elsewhere; the "
                                      "ledger and the issued statements are never rewritten")
    paths = export_statements(settlement, folder, fmt, status, content_hash, layout)
    click.echo(f"{len(paths)} {fmt} files ({status}) in {folder}")


@click.group()
def payments() -> None:
    """Payment batches for final months."""


@payments.command("export")
@click.option("--period", required=True)
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="CSV file to write (default HOME/exports/PERIOD/payments-rN.csv).")
@home_option
def payments_command(period: str, out: str | None, home: str | None) -> None:
    """A payment batch (IBAN, amount, reference) for the final month, once.

    Amounts are the final's payable column (a positive balance of an active producer;
    negative and held balances carry forward to the next statement). IBANs and statuses
    come from the registry as it is now. The batch also carries every grant tranche due
    (accepted milestones no batch carries yet). Refused (and logged): a revision already
    exported or paid, an invalid IBAN, a payable producer no longer active.
    """
    target, lines, settlement = export_payments(workspace_from(home), period,
                                                Path(out) if out else None)
    money = Currency(settlement.currency, settlement.minor_units).text
    total = sum(line.amount_minor for line in lines)
    tranches = sum(1 for line in lines if line.payee == "grant")
    click.echo(f"{len(lines)} payments ({tranches} grant tranches), {money(total)} "
               f"{settlement.currency}, in {target}")


@payments.command("confirm")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@home_option
def confirm_command(path: str, home: str | None) -> None:
    """Import the bank's confirmation (CSV: reference,amount,status[,bank_reference,reason];
    status paid or rejected): each exported line closes, all or none. A revision whose
    lines are all paid is recorded paid."""
    done = confirm_payments(workspace_from(home), Path(path))
    for (period, revision), paid in done.items():
        click.echo(f"{period} r{revision}: " + ("paid in full" if paid else
                                                "lines still open or rejected"))


def tehran_time_text(epoch_ms: int) -> str:
    """'1404-08-07 21:06:29': the Jalali date and Tehran clock time of an instant."""
    clock = datetime.fromtimestamp(epoch_ms / 1000, tz=TEHRAN).strftime("%H:%M:%S")
    return f"{jalali_date_text(epoch_ms)} {clock}"


@click.command("explain")
@click.option("--producer", "producer_id", required=True)
@click.option("--period", required=True)
@click.option("--flows", "limit", type=click.IntRange(1, 1000), default=10, show_default=True)
@home_option
@json_option
def explain_command(producer_id: str, period: str, limit: int, home: str | None,
                    as_json: bool) -> None:
    """From the amount down through tariff lines, daily usage and the largest flows."""
    settlement, days, flows = explain(workspace_from(home), period, producer_id, limit)
    line = settlement.line(producer_id)
    assert line is not None
    rows = [{**f, "src_addr": address_to_text(f["src_addr"]),
             "dst_addr": address_to_text(f["dst_addr"])} for f in flows.to_pylist()]
    if as_json:
        money = Currency(settlement.currency, settlement.minor_units).text
        click.echo(json.dumps({
            "producer_id": producer_id, "period": settlement.period,
            "payable": money(line.payable_minor), "amount": money(line.amount_minor),
            "claim": money(line.claim_minor), "eligible": line.eligible,
            "tariff_lines": [{**t.__dict__, "exact_minor": str(t.exact_minor)}
                             for t in line.tariff_lines],
            "daily_bytes": days, "largest_flows": rows,
            "integrity": _line_integrity(settlement, line)}, ensure_ascii=False, indent=1))
        return
    _explain_text(settlement, line, days, rows)
    _explain_integrity(settlement, line)


def _line_integrity(settlement: Settlement, line: StatementLine) -> dict[str, Any] | None:
    """The signals and scores behind a line, and its exclusions and holds (integrity)."""
    if not settlement.integrity:
        return None
    pid = line.producer_id
    return {"signals": settlement.integrity["signals"].get(pid, {}),
            "scores": settlement.integrity["scores"].get(pid, {}),
            "exclusions": [e.__dict__ for e in line.exclusions],
            "holds": [h.__dict__ for h in line.holds]}


def _explain_integrity(settlement: Settlement, line: StatementLine) -> None:
    found = _line_integrity(settlement, line)
    if found is None:
        return
    for e in line.exclusions:
        click.echo(f"  excluded before pricing: {e.reason} {e.bytes:,} bytes "
                   f"(figure {e.figure}, threshold {e.threshold or '-'}) {e.peer_id}")
    for h in line.holds:
        click.echo(f"  HELD: {h.reason}: {h.figure} (baseline {h.baseline}, threshold "
                   f"{h.threshold})")
    click.echo("  integrity signals (value, modified z-score within the producer type):")
    for name, value in found["signals"].items():
        score = found["scores"].get(name)
        click.echo(f"    {name:20} {value!s:>22}" + ("" if score is None else f"  z {score}"))


def _explain_text(settlement: Settlement, line: StatementLine, days: list[tuple[str, int]],
                  rows: list[dict[str, Any]]) -> None:
    def money(value: int) -> str:
        return format_money(value, settlement.minor_units, "en")

    click.echo(f"{line.producer_id} {settlement.period}: payable {money(line.payable_minor)} "
               f"{settlement.currency} = incentive {money(line.amount_minor)} "
               f"+ adjustments {money(line.adjustments_minor)}")
    scaled = "scaled to the pool" if settlement.scaled_to_pool else "within the pool"
    click.echo(f"  claim {money(line.claim_minor)} (tariff {settlement.tariff_id} "
               f"v{settlement.tariff_version}; {scaled})")
    for t in line.tariff_lines:
        click.echo(f"    {t.code:16} {t.quantity:>22} {t.unit:7} x {t.rate:>12} = "
                   f"{money(round_minor(t.exact_minor))}")
    for reason in line.ineligible_reasons:
        click.echo(f"  not eligible: {reason}")
    click.echo("  daily bytes sent (Jalali date, Tehran):")
    for day, sent in days:
        click.echo(f"    {day} {sent:>20,}")
    click.echo(f"  largest {len(rows)} flows:")
    for f in rows:
        click.echo(f"    {f['src_addr']}:{f['src_port']} -> {f['dst_addr']}:{f['dst_port']} "
                   f"proto {f['protocol']} {f['scaled_bytes']:,} bytes from "
                   f"{tehran_time_text(f['start_ms'])} Tehran")
