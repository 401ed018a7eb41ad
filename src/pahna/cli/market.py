"""`pahna market`: the content market's monthly figures (docs/market.md)."""

from __future__ import annotations

import click

from pahna.cli.options import engine_option, home_option, workspace_from
from pahna.market.build import build_month, pending_periods


@click.group()
def market() -> None:
    """The content market's figures per catalogue entry and month."""


@market.command("build")
@home_option
@click.option("--period", help="Jalali month YYYY-MM (default: every final month whose "
              "figures are missing or stale).")
@engine_option
def build(home: str | None, period: str | None, engine: str | None) -> None:
    """Compute and publish the figures of final months (the portal serves them)."""
    workspace = workspace_from(home)
    for chosen in [period] if period else pending_periods(workspace):
        month = build_month(workspace, chosen, engine)
        click.echo(f"{month.period}: {len(month.items)} items (final r{month.revision})")
