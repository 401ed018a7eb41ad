"""`pahna settle` (draft, finalize, verify, void, pay, adjust), `pahna tariff`, `pahna costs`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from pahna.calendar import JalaliMonth
from pahna.cli.options import engine_option, home_option, json_option, workspace_from
from pahna.errors import VerificationError
from pahna.ledger.book import Ledger
from pahna.ledger.payments import confirmations, exported
from pahna.payouts import mark_paid
from pahna.pipeline import finalize, settle, verify
from pahna.settle.adjustments import Adjustment
from pahna.settle.costs import parse_costs
from pahna.settle.document import from_document, to_document
from pahna.settle.money import Currency, parse_amount
from pahna.settle.statements import Settlement
from pahna.settlement import import_tariff, sync_closure, void


def print_settlement(settlement: Settlement, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(to_document(settlement), ensure_ascii=False, indent=1,
                              sort_keys=True))
        return
    money = Currency(settlement.currency, settlement.minor_units).text
    for line in settlement.lines:
        click.echo(f"{line.producer_id:24} {line.bytes:>20,} bytes "
                   f"{money(line.payable_minor):>20} {settlement.currency}")
    click.echo(f"total {money(settlement.total_minor)} {settlement.currency} of a pool of "
               f"{money(settlement.pool_minor)}"
               + (" (claims scaled to the pool)" if settlement.scaled_to_pool else ""))


@click.group("settle", invoke_without_command=True)
@click.option("--period", help="Jalali month, e.g. 1404-08.")
@home_option
@json_option
@engine_option
@click.pass_context
def settle_command(ctx: click.Context, period: str | None, home: str | None,
                   as_json: bool, engine: str | None) -> None:
    """Draft the month's settlement (recomputable at will) and write its statements.

    Subcommands close the month (finalize), check it (verify), and record what happens
    to it afterwards (void, pay, adjust). A final month cannot be drafted again.
    """
    if ctx.invoked_subcommand is not None:
        return
    if not period:
        raise click.UsageError("--period is required (e.g. --period 1404-08)")
    settlement, paths, _ = settle(workspace_from(home), period, engine)
    print_settlement(settlement, as_json)
    if not as_json:
        click.echo(f"draft statements in {paths[-1].parent}")


@settle_command.command("finalize")
@click.option("--period", required=True, help="Jalali month, e.g. 1404-08.")
@home_option
@json_option
@engine_option
def finalize_command(period: str, home: str | None, as_json: bool,
                     engine: str | None) -> None:
    """Recompute the month, seal it (content hash over raw-store manifests, registry,
    tariff and code versions) and keep it read-only as the next final revision."""
    settlement, revision, paths = finalize(workspace_from(home), period, engine_name=engine)
    record = Ledger(workspace_from(home).home).final(settlement.period, revision)
    if as_json:
        click.echo(json.dumps({"period": settlement.period, "revision": revision,
                               "content_hash": record["seal"]["content_hash"]}))
        return
    print_settlement(settlement, False)
    click.echo(f"final revision {revision}; content hash {record['seal']['content_hash']}")
    click.echo(f"final statements in {paths[-1].parent}")


@settle_command.command("verify")
@click.option("--period", required=True, help="Jalali month, e.g. 1404-08.")
@home_option
@engine_option
def verify_command(period: str, home: str | None, engine: str | None) -> None:
    """Recompute a final month and show it matches its seal byte for byte, or where not."""
    workspace = workspace_from(home)
    problems, notes = verify(workspace, period, engine)
    for note in notes:
        click.echo(f"note: {note}")
    if problems:
        for problem in problems:
            click.echo(f"differs: {problem}", err=True)
        raise VerificationError(period, problems)
    record = Ledger(workspace.home).final(str(JalaliMonth.parse(period)))
    click.echo(f"{period} r{record['revision']} verifies: recomputed byte for byte; "
               f"content hash {record['seal']['content_hash']}")


def _revision_state(ledger: Ledger, period: str, revision: int) -> dict[str, Any]:
    lines = {c["status"] for c in confirmations(ledger, period, revision).values()}
    return {"revision": revision, "void": ledger.is_void(period, revision),
            "paid": ledger.paid(period, revision) is not None,
            "exported": exported(ledger, period, revision) is not None,
            "rejected_lines": sorted(ref for ref, c in confirmations(
                ledger, period, revision).items() if c["status"] == "rejected"),
            "confirmed": sorted(lines),
            "content_hash": ledger.final(period, revision)["seal"]["content_hash"]}


@settle_command.command("status")
@click.option("--period", required=True)
@home_option
@json_option
def status_command(period: str, home: str | None, as_json: bool) -> None:
    """Where the month is in its lifecycle: none, draft, final, paid or voided.

    Also makes the registry's closing of the month agree with the ledger (a finalize
    killed half way leaves the month closed without a final: this reopens it)."""
    workspace = workspace_from(home)
    period = str(JalaliMonth.parse(period))
    sync_closure(workspace, period)
    ledger = Ledger(workspace.home)
    revisions = [_revision_state(ledger, period, r) for r in ledger.revisions(period)]
    if as_json:
        click.echo(json.dumps({"period": period, "status": ledger.status(period),
                               "revisions": revisions}))
        return
    click.echo(f"{period}: {ledger.status(period)}")
    for r in revisions:
        state = "void" if r["void"] else ("paid" if r["paid"] else (
            "exported for payment" if r["exported"] else "final"))
        click.echo(f"  r{r['revision']} {state} {r['content_hash']}")
        for ref in r["rejected_lines"]:
            click.echo(f"    rejected by the bank: {ref}")


@settle_command.command("void")
@click.option("--period", required=True)
@click.option("--reason", required=True, help="Why the final is voided (kept in the ledger).")
@home_option
def void_command(period: str, reason: str, home: str | None) -> None:
    """Void the month's final; it is kept, and `finalize` then issues the next revision.

    The month is reopened in the registry, so corrections dated in it are accepted until
    it is finalized again. Refused once the revision was exported for payment or paid."""
    revision = void(workspace_from(home), period, reason)
    click.echo(f"{period} r{revision} voided; reissue with `pahna settle finalize`")


@settle_command.command("pay")
@click.option("--period", required=True)
@click.option("--reference", required=True, help="The payment batch's bank reference.")
@home_option
def pay_command(period: str, reference: str, home: str | None) -> None:
    """Record that the month's final was paid (and the grant tranches its batch carried)."""
    revision, tranches = mark_paid(workspace_from(home), period, reference)
    click.echo(f"{period} r{revision} marked paid ({reference}); "
               f"{tranches} grant tranches paid")


@settle_command.command("adjust")
@click.option("--original-period", required=True, help="The final month being corrected.")
@click.option("--producer", "producer_id", required=True)
@click.option("--amount", required=True, help="Signed correction, major units (e.g. -1500).")
@click.option("--in-period", "period", required=True, help="The later month carrying it.")
@click.option("--reason", required=True)
@home_option
def adjust_command(original_period: str, producer_id: str, amount: str, period: str,
                   reason: str, home: str | None) -> None:
    """Carry a correction to a final month as an adjustment line in a later month."""
    workspace = workspace_from(home)
    ledger = Ledger(workspace.home)
    original, carrier = str(JalaliMonth.parse(original_period)), str(JalaliMonth.parse(period))
    final = from_document(ledger.final(original)["settlement"])
    if final.line(producer_id) is None or carrier <= original:
        raise click.UsageError(f"{producer_id} is not on {original}'s final, or {carrier} "
                               "is not later")
    currency = Currency(workspace.config.settle.currency, workspace.config.settle.minor_units)
    adjustment = Adjustment(ledger.next_adjustment_id(carrier), carrier, producer_id,
                            parse_amount(amount, currency), original,
                            ledger.active_revision(original) or 0, reason)
    ledger.add_adjustment(adjustment)
    click.echo(f"adjustment {adjustment.id}: {amount} for {producer_id} in {carrier}")


@click.group()
def tariff() -> None:
    """Tariff documents (TOML) kept in the workspace."""


@tariff.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@home_option
def import_tariff_command(path: str, home: str | None) -> None:
    """Check a tariff file and copy it into the workspace.

    A tariff id and version, once imported, cannot change meaning: import a new version.
    A tariff whose validity covers a final month is refused: date it after the finals.
    """
    new = import_tariff(workspace_from(home), Path(path))
    click.echo(f"imported tariff {new.id} version {new.version} as "
               f"{new.id}-v{new.version}.toml")


@click.group()
def costs() -> None:
    """Production and distribution costs per producer and month (CSV)."""


@costs.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@home_option
def import_costs(path: str, home: str | None) -> None:
    """Import producer_id,period,production,distribution (major units); final months refuse."""
    workspace = workspace_from(home)
    currency = Currency(workspace.config.settle.currency, workspace.config.settle.minor_units)
    rows = parse_costs(Path(path).read_text(encoding="utf-8"), currency, path)
    Ledger(workspace.home).import_costs(rows)
    click.echo(f"imported {len(rows)} cost rows")
