"""`pahna settle` and `pahna tariff`."""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict
from pathlib import Path

import click

from pahna.cli.options import engine_option, home_option, json_option, workspace_from
from pahna.pipeline import load_tariffs, settle


@click.command("settle")
@click.option("--period", required=True, help="Jalali month, e.g. 1404-08.")
@home_option
@json_option
@engine_option
def settle_command(period: str, home: str | None, as_json: bool,
                   engine: str | None) -> None:
    """Draft the month's settlement and write each producer's statement (CSV, HTML)."""
    settlement, paths, _ = settle(workspace_from(home), period, engine)
    if as_json:
        click.echo(json.dumps(asdict(settlement), ensure_ascii=False, indent=1))
        return
    for line in settlement.lines:
        click.echo(f"{line.producer_id:24} {line.bytes:>20,} bytes {line.amount_rial:>18,} rials")
    click.echo(f"total {settlement.total_rial:,} rials of a pool of {settlement.pool_rial:,}")
    click.echo(f"statements in {paths[-1].parent}")


@click.group()
def tariff() -> None:
    """Tariff documents (TOML) kept in the workspace."""


@tariff.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@home_option
def import_tariff(path: str, home: str | None) -> None:
    """Check a tariff file and copy it into the workspace."""
    workspace = workspace_from(home)
    target = workspace.tariffs_dir / Path(path).name
    shutil.copyfile(path, target)
    try:
        load_tariffs(workspace)
    except Exception:
        target.unlink()
        raise
    click.echo(f"imported tariff {target.name}")
