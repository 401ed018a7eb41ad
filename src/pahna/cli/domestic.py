"""`pahna domestic ...`: the domestic address lists that decide the traffic class."""

from __future__ import annotations

import json
from pathlib import Path

import click

from pahna.cli.options import home_option, json_option, workspace_from
from pahna.errors import RegistryError
from pahna.registry.database import open_registry
from pahna.registry.domestic import domestic_lists, import_domestic
from pahna.registry.instants import format_instant, parse_instant


@click.group()
def domestic() -> None:
    """Domestic address lists (CIDR lists, RIR delegated-stats files), effective-dated."""


@domestic.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--from", "valid_from", required=True,
              help="When this list takes effect: ISO 8601 or Jalali (1404-08-01, 00:00 Tehran).")
@click.option("--actor", default="cli", show_default=True, help="Who makes the change (audit).")
@home_option
def import_command(files: tuple[str, ...], valid_from: str, actor: str,
                   home: str | None) -> None:
    """Import one list version from FILES (merged), in force from --from."""
    try:
        start = parse_instant(valid_from)
    except ValueError as exc:
        raise RegistryError(f"--from: {exc}") from exc
    engine = open_registry(workspace_from(home).registry_url)
    version = import_domestic(engine, [Path(f) for f in files], start, actor)
    v4 = sum(1 for n in version.networks if n.version == 4)
    click.echo(f"domestic list {version.id}: {v4} IPv4 and {len(version.networks) - v4} IPv6 "
               f"blocks in force from {format_instant(start)}")


@domestic.command("list")
@home_option
@json_option
def list_command(home: str | None, as_json: bool) -> None:
    """List the domestic list versions and when each is in force."""
    versions = domestic_lists(open_registry(workspace_from(home).registry_url))
    rows = [{"id": v.id, "source": v.source, "blocks": len(v.networks),
             "valid_from": format_instant(v.valid_from_ms),
             "valid_to": format_instant(v.valid_to_ms) or None} for v in versions]
    if as_json:
        click.echo(json.dumps(rows, indent=1))
        return
    for row in rows:
        click.echo(f"{row['id']:>4} {row['blocks']:>6} blocks  {row['valid_from']} .. "
                   f"{row['valid_to'] or 'open'}  {row['source']}")
