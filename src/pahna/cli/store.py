"""`pahna store ...`: the committed batches of the raw store, and retracting one."""

from __future__ import annotations

import json

import click

from pahna.cli.options import home_option, json_option, workspace_from
from pahna.compaction import compact_store
from pahna.registry.instants import format_instant
from pahna.settlement import retract_batch
from pahna.store.manifests import read_manifests


@click.group()
def store() -> None:
    """The raw flow store's committed batches."""


@store.command("batches")
@home_option
@json_option
def batches_command(home: str | None, as_json: bool) -> None:
    """List committed batches: id, records, raw bytes, first and last flow start, source."""
    rows = [{"batch_id": m.batch_id, "content_hash": m.content_hash, "records": m.records,
             "bytes": m.bytes, "start": format_instant(m.start_ms),
             "end": format_instant(m.end_ms), "source": m.source}
            for m in read_manifests(workspace_from(home).store_dir)]
    if as_json:
        click.echo(json.dumps(rows, indent=1))
        return
    for r in rows:
        click.echo(f"{r['batch_id']} {r['records']:>10,} {r['bytes']:>26,} "
                   f"{r['start']} .. {r['end']} {r['source']}")


@store.command("retract")
@click.argument("batch")
@click.option("--reason", required=True, help="Why (kept with the retracted batch).")
@click.option("--actor", default="cli", show_default=True, help="Who (kept and logged).")
@home_option
def retract_command(batch: str, reason: str, actor: str, home: str | None) -> None:
    """Take BATCH (its id, or 8+ characters of it) out of the store before its month is
    final: it is no longer read; its manifest and files are kept under store/retracted/."""
    path = retract_batch(workspace_from(home), batch, reason, actor)
    click.echo(f"batch retracted; its record: {path}")


@store.command("compact")
@click.option("--day", default=None, metavar="YYYY-MM-DD",
              help="Compact this UTC day only (default: every day before today).")
@click.option("--dry-run", is_flag=True, help="Say what would be compacted; change nothing.")
@home_option
def compact_command(day: str | None, dry_run: bool, home: str | None) -> None:
    """Rewrite each day's small batches as one larger batch. Readers see the old batches
    or the new one, never both; finals sealed before still verify (their files stay);
    the sources are removed an hour later, by a later run."""
    report = compact_store(workspace_from(home), day, dry_run)
    for index, day_plan in enumerate(report.planned):
        made = report.compacted[index].batch_id if index < len(report.compacted) else "-"
        click.echo(f"{day_plan.day} {len(day_plan.sources):>7,} batches "
                   f"{day_plan.records:>14,} records -> {made}")
    if not report.planned:
        click.echo("nothing to compact")
    if not dry_run:
        click.echo(f"retired {report.retired_manifests} manifests and "
                   f"{report.retired_files} files of earlier compactions")
