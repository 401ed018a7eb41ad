"""`pahna statements export`, `pahna payments export` and `pahna explain`."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from pahna.calendar import TEHRAN, JalaliMonth, jalali_date_text
from pahna.cli.options import home_option, json_option, workspace_from
from pahna.errors import ImmutableStatementError, LedgerError, PaymentError
from pahna.grants.board import load_board
from pahna.grants.history import Author
from pahna.grants.payments import due_tranches, record_batched
from pahna.iban import iban_problem, normalize_iban
from pahna.ledger.book import Ledger
from pahna.pipeline import explain, producer_ibans
from pahna.registry.database import open_registry
from pahna.report.numerals import format_money
from pahna.report.statements import FORMATS, export_statements
from pahna.schema import address_to_text
from pahna.settle.document import from_document
from pahna.settle.money import Currency, round_minor
from pahna.settle.statements import Settlement, StatementLine


def _statements(ledger: Ledger, period: str) -> tuple[Settlement, str, str | None]:
    """The final in force (with its content hash), else the draft."""
    revision = ledger.active_revision(period)
    if revision is not None:
        record = ledger.final(period, revision)
        return (from_document(record["settlement"]), f"final-r{revision}",
                record["seal"]["content_hash"])
    draft = ledger.draft(period)
    if draft is None:
        raise LedgerError(f"{period} has no statements yet; run `pahna settle --period "
                          f"{period}` first")
    return from_document(draft), "draft", None


@click.group()
def statements() -> None:
    """Statements of a month, as files."""


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
    settlement, status, content_hash = _statements(ledger, period)
    folder = (Path(out) if out else workspace.home / "exports" / period / status).resolve()
    protected = (ledger.root.resolve(), workspace.statements_dir(period).resolve())
    if any(folder == p or p in folder.parents for p in protected):
        ledger.log("refused", period, attempt=f"statements export into {folder}")
        raise ImmutableStatementError(f"{folder}: statements are exported elsewhere; the "
                                      "ledger and the issued statements are never rewritten")
    paths = export_statements(settlement, folder, fmt, status, content_hash)
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
    """A payment batch (IBAN, amount, reference) for the final month; refuses bad IBANs.

    Amounts come from the sealed final; IBANs from the registry as it is now (an account
    can change between finalizing and paying). Every payable producer needs a valid one.
    The batch also carries every grant tranche due (accepted milestones not yet batched).
    """
    workspace = workspace_from(home)
    ledger = Ledger(workspace.home)
    period = str(JalaliMonth.parse(period))
    record = ledger.final(period)
    settlement = from_document(record["settlement"])
    payable = [ln for ln in settlement.lines if ln.payable_minor > 0]
    ibans = producer_ibans(workspace)
    engine = open_registry(workspace.registry_url)
    tranches = due_tranches(load_board(engine))
    bad = [f"{ln.producer_id}: {iban_problem(ibans.get(ln.producer_id))}" for ln in payable
           if iban_problem(ibans.get(ln.producer_id))] + [
        t.problem for t in tranches if t.problem]
    if bad:
        ledger.log("refused", period, attempt="payments export", invalid_ibans=bad)
        raise PaymentError(f"{period}: payment batch refused; invalid IBANs: " + "; ".join(bad))
    money = Currency(settlement.currency, settlement.minor_units).text
    batch = f"PAHNA-{period}-R{record['revision']}"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("producer_id", "name", "iban", "amount", "currency", "reference"))
    for ln in payable:
        writer.writerow((ln.producer_id, ln.name, normalize_iban(ibans[ln.producer_id] or ""),
                         money(ln.payable_minor), settlement.currency,
                         f"{batch}-{ln.producer_id}"))
    for t in tranches:
        writer.writerow((t.payee_id, t.payee_name, normalize_iban(t.iban or ""),
                         money(t.amount_rial), settlement.currency, f"{batch}-{t.payment_id}"))
    target = Path(out) if out else (workspace.home / "exports" / period /
                                    f"payments-r{record['revision']}.csv")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(buffer.getvalue(), encoding="utf-8")
    record_batched(engine, tranches, batch, Author("cli"))
    total = sum(ln.payable_minor for ln in payable) + sum(t.amount_rial for t in tranches)
    click.echo(f"{len(payable) + len(tranches)} payments ({len(tranches)} grant tranches), "
               f"{money(total)} {settlement.currency}, in {target}")


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
            "daily_bytes": days, "largest_flows": rows}, ensure_ascii=False, indent=1))
        return
    _explain_text(settlement, line, days, rows)


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
