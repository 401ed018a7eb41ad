"""`pahna integrity`: a month's signals, exclusions and holds; reviewers' decisions on
held lines; the hosting lists exclusions read."""

from __future__ import annotations

import json
from pathlib import Path

import click

from pahna.cli.options import engine_option, home_option, json_option, workspace_from
from pahna.errors import RegistryError
from pahna.integrity.versions import hosting_versions, import_hosting
from pahna.registry.instants import format_instant, parse_instant
from pahna.reviewing import MonthReview, claw_back, decide_hold, month_review
from pahna.settle.document import to_document


@click.group("integrity", invoke_without_command=True)
@click.option("--period", help="Jalali month, e.g. 1404-08.")
@home_option
@json_option
@engine_option
@click.pass_context
def integrity(ctx: click.Context, period: str | None, home: str | None, as_json: bool,
              engine: str | None) -> None:
    """Signals, exclusions and holds of a month (the final in force, else computed now
    under the tariff's [integrity] policy, writing nothing)."""
    if ctx.invoked_subcommand is not None:
        return
    if not period:
        raise click.UsageError("--period is required (e.g. --period 1404-08)")
    review = month_review(workspace_from(home), period, engine)
    if as_json:
        click.echo(json.dumps(_document(review), ensure_ascii=False, indent=1,
                              sort_keys=True))
        return
    _print(review)


def _document(review: MonthReview) -> dict[str, object]:
    lines = to_document(review.settlement)["lines"]
    return {"period": review.settlement.period, "status": review.status,
            "integrity": review.integrity, "hold_states": review.states,
            "lines": {ln["producer_id"]: {"exclusions": ln.get("exclusions", []),
                                          "holds": ln.get("holds", [])} for ln in lines}}


def _print(review: MonthReview) -> None:
    settlement = review.settlement
    click.echo(f"{settlement.period} ({review.status}): tariff {settlement.tariff_id} "
               f"v{settlement.tariff_version}" + ("" if settlement.integrity else
                                                  " has no [integrity] policy"))
    for line in settlement.lines:
        for e in line.exclusions:
            peer = f" with {e.peer_id}" if e.peer_id else ""
            click.echo(f"  {line.producer_id:24} excluded {e.bytes:>18,} bytes: {e.reason}"
                       f"{peer} (figure {e.figure}, threshold {e.threshold or '-'})")
        for h in line.holds:
            click.echo(f"  {line.producer_id:24} HELD ({review.states.get(line.producer_id)}"
                       f"): {h.reason} {h.figure} (baseline {h.baseline}, threshold "
                       f"{h.threshold})")


OUTCOMES = {"release": "released (paid in the next payment batch)",
            "confirm": "confirmed (withheld)"}


def _decision(choice: str) -> click.Command:
    @integrity.command(choice)
    @click.option("--period", required=True, help="Jalali month, e.g. 1404-08.")
    @click.option("--producer", "producer_id", required=True)
    @click.option("--reason", required=True, help="Why (kept in the ledger's log).")
    @click.option("--actor", default="cli", show_default=True, help="Who decides (audit).")
    @home_option
    def command(period: str, producer_id: str, reason: str, actor: str,
                home: str | None) -> None:
        entry = decide_hold(workspace_from(home), period, producer_id, choice, reason, actor)
        click.echo(f"{period} r{entry['revision']}: the hold of {producer_id} is "
                   f"{OUTCOMES[choice]}")
    command.__doc__ = ("Release a held line: it is paid in the next payment batch."
                       if choice == "release" else
                       "Confirm a hold: the line's amount is withheld, with the reason.")
    return command


release_command = _decision("release")
confirm_command = _decision("confirm")


@integrity.command("clawback")
@click.option("--period", required=True, help="The paid final month the finding is about.")
@click.option("--producer", "producer_id", required=True)
@click.option("--in-period", "carrier", required=True, help="The later month carrying it.")
@click.option("--reason", required=True, help="The finding (kept in the adjustment).")
@click.option("--actor", default="cli", show_default=True, help="Who decides (audit).")
@home_option
def clawback_command(period: str, producer_id: str, carrier: str, reason: str, actor: str,
                     home: str | None) -> None:
    """Take back what a paid line was paid, as an adjustment line in a later month."""
    made = claw_back(workspace_from(home), period, producer_id, carrier, reason, actor)
    click.echo(f"adjustment {made.id}: {made.amount_minor} minor units for {producer_id} "
               f"in {carrier} ({period} r{made.original_revision})")


@integrity.group()
def hosting() -> None:
    """Hosting and data-centre lists (prefixes, AS numbers), effective-dated versions."""


@hosting.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--from", "valid_from", required=True,
              help="When this version takes effect: ISO 8601 or Jalali (1404-08-01).")
@click.option("--actor", default="cli", show_default=True, help="Who makes the change (audit).")
@home_option
def hosting_import(files: tuple[str, ...], valid_from: str, actor: str,
                   home: str | None) -> None:
    """Import one hosting list version from FILES (merged), in force from --from."""
    try:
        start = parse_instant(valid_from)
    except ValueError as exc:
        raise RegistryError(f"--from: {exc}") from exc
    version = import_hosting(workspace_from(home), [Path(f) for f in files], start, actor)
    click.echo(f"hosting list v{version.version}: {len(version.prefixes)} prefixes and "
               f"{len(version.asns)} AS numbers in force from {format_instant(start)}")


@hosting.command("list")
@home_option
@json_option
def hosting_list(home: str | None, as_json: bool) -> None:
    """The hosting list versions and when each is in force."""
    rows = [{"version": v.version, "prefixes": len(v.prefixes), "asns": len(v.asns),
             "valid_from": format_instant(v.valid_from_ms),
             "valid_to": format_instant(v.valid_to_ms) or None, "sha256": v.sha256,
             "source": v.source} for v in hosting_versions(workspace_from(home))]
    if as_json:
        click.echo(json.dumps(rows, indent=1))
        return
    for row in rows:
        click.echo(f"v{row['version']:<3} {row['prefixes']:>6} prefixes {row['asns']:>5} AS  "
                   f"{row['valid_from']} .. {row['valid_to'] or 'open'}  {row['source']}")
