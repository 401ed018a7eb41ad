"""`pahna usage`."""

from __future__ import annotations

import json

import click

from pahna.aggregate.kernel import Rules
from pahna.attribute.metering import REASONS
from pahna.calendar import JalaliMonth
from pahna.cli.options import engine_option, home_option, json_option, workspace_from
from pahna.pipeline import month_usage, period_inputs
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
    holds anything, and under "unattributed" in the JSON. What metering points kept out
    (flows of metered producers seen at no point of theirs) is counted by reason
    (exporter_not_metered, interface_not_metered, outside_validity) under
    "metering_dropped"."""
    workspace = workspace_from(home)
    month = JalaliMonth.parse(period)
    files, attribution = period_inputs(workspace, period)
    if attribution.metering is not None:
        attribution.metering.count_window = (month.start_ms, month.end_ms)
    table = month_usage(workspace, period, files, attribution, engine,
                        ("producer_id", "traffic_class"))
    dropped = _metering_dropped(attribution, engine or workspace.config.aggregate.engine)
    producers = {p.id: p for p in list_producers(open_registry(workspace.registry_url))}
    groups, rest = group_usage(table.to_pylist(), producers, by, traffic_class)
    if as_json:
        shown = [*groups, rest] if rest.flows or rest.bytes else groups
        click.echo(json.dumps({
            "period": period, "by": by, "class": traffic_class,
            "usage": [g.as_dict(by) for g in shown],
            "unattributed": rest.as_dict(by),
            "metering_dropped": dropped,
        }, ensure_ascii=False, indent=1))
        return
    click.echo(f"{by:28} {'bytes':>20} {'domestic':>20} {'international':>20} {'flows':>10}")
    for group in [*groups, rest]:
        click.echo(f"{group.key:28} {group.bytes:>20,} {group.by_class['domestic']:>20,} "
                   f"{group.by_class['international']:>20,} {group.flows:>10,}")
    if dropped:
        click.echo("dropped by metering points (flows of metered producers seen elsewhere):")
        for reason, counts in dropped.items():
            click.echo(f"  {reason:26} {counts['bytes']:>20,} bytes {counts['flows']:>10,} flows")
    elif attribution.metering is not None:
        click.echo("dropped by metering points: not counted by this engine (DuckDB counts them)")


def _metering_dropped(attribution: Rules, engine: str) -> dict[str, dict[str, int]] | None:
    """What the metering filter dropped, by reason (None when there are no metering
    points, or when the engine ran the filter out of this process: Spark)."""
    metering = attribution.metering
    if metering is None or engine != "duckdb":
        return None
    return {reason: {"flows": metering.dropped_flows[reason],
                     "bytes": metering.dropped_bytes[reason]} for reason in REASONS}
