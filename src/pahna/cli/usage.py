"""`pahna usage`."""

from __future__ import annotations

import json

import click

from pahna.cli.options import engine_option, home_option, json_option, workspace_from
from pahna.pipeline import usage_for_period


@click.command()
@click.option("--period", required=True, help="Jalali month, e.g. 1404-08.")
@home_option
@json_option
@engine_option
def usage(period: str, home: str | None, as_json: bool, engine: str | None) -> None:
    """Sampling-scaled bytes per producer for a Jalali month, unattributed included."""
    table = usage_for_period(workspace_from(home), period, engine)
    rows = table.to_pylist()
    if as_json:
        click.echo(json.dumps({"period": period, "usage": rows}, indent=1))
        return
    for row in rows:
        click.echo(f"{row['producer_id'] or '(unattributed)':24} {row['bytes']:>20,} bytes "
                   f"{row['flows']:>10,} flows")
