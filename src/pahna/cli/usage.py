"""`pahna usage`."""

from __future__ import annotations

import json

import click

from pahna.cli.options import engine_option, home_option, json_option, workspace_from
from pahna.pipeline import usage_for_period
from pahna.registry.database import open_registry
from pahna.registry.grouping import GROUPINGS, group_usage
from pahna.registry.producers import list_producers
from pahna.schema import TRAFFIC_CLASSES


@click.command()
@click.option("--period", required=True, help="Jalali month, e.g. 1404-08.")
@click.option("--by", "by", type=click.Choice(GROUPINGS), default="producer", show_default=True,
              help="Group usage by producer, province, special IT zone or producer type.")
@click.option("--class", "traffic_class", type=click.Choice(TRAFFIC_CLASSES), default=None,
              help="Count only this traffic class (default: all, split in the output).")
@home_option
@json_option
@engine_option
def usage(period: str, by: str, traffic_class: str | None, home: str | None,
          as_json: bool, engine: str | None) -> None:
    """Sampling-scaled bytes per group for a Jalali month.

    The unattributed remainder is always shown: as the last row (key null) when it
    holds anything, and under "unattributed" in the JSON."""
    workspace = workspace_from(home)
    table = usage_for_period(workspace, period, engine,
                             group_by=("producer_id", "traffic_class"))
    producers = {p.id: p for p in list_producers(open_registry(workspace.registry_url))}
    groups, rest = group_usage(table.to_pylist(), producers, by, traffic_class)
    if as_json:
        shown = [*groups, rest] if rest.flows or rest.bytes else groups
        click.echo(json.dumps({
            "period": period, "by": by, "class": traffic_class,
            "usage": [g.as_dict(by) for g in shown],
            "unattributed": rest.as_dict(by),
        }, ensure_ascii=False, indent=1))
        return
    click.echo(f"{by:28} {'bytes':>20} {'domestic':>20} {'international':>20} {'flows':>10}")
    for group in [*groups, rest]:
        click.echo(f"{group.key:28} {group.bytes:>20,} {group.by_class['domestic']:>20,} "
                   f"{group.by_class['international']:>20,} {group.flows:>10,}")
