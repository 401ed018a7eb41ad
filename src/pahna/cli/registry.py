"""`pahna registry ...`: producers and their claims."""

from __future__ import annotations

import ipaddress
import json

import click

from pahna.calendar import JalaliMonth
from pahna.cli.options import home_option, json_option, workspace_from
from pahna.registry.database import open_registry
from pahna.registry.models import PRODUCER_TYPES
from pahna.registry.producers import (
    PrefixClaim,
    Producer,
    add_prefix_claim,
    add_producer,
    list_producers,
    prefix_claims,
)


@click.group()
def registry() -> None:
    """Producers, provinces and the prefixes they claim."""


@registry.command("add-producer")
@click.argument("producer_id")
@click.option("--name", required=True, help="Name in English.")
@click.option("--name-fa", default="", help="Name in Persian.")
@click.option("--province", required=True, help="ISO 3166-2:IR code, e.g. IR-25 for Qom.")
@click.option("--type", "kind", type=click.Choice(PRODUCER_TYPES), required=True)
@home_option
def add_producer_command(producer_id: str, name: str, name_fa: str, province: str, kind: str,
                         home: str | None) -> None:
    """Register a content producer."""
    engine = open_registry(workspace_from(home).registry_url)
    add_producer(engine, Producer(producer_id, name, name_fa, province, kind))
    click.echo(f"added producer {producer_id}")


@registry.command("add-claim")
@click.argument("producer_id")
@click.argument("prefix")
@click.option("--from", "valid_from", default="1300-01",
              help="Jalali month the claim starts (00:00 Tehran on its first day).")
@click.option("--approve-nested", is_flag=True, help="Approve nesting in another's prefix.")
@home_option
def add_claim_command(producer_id: str, prefix: str, valid_from: str, approve_nested: bool,
                      home: str | None) -> None:
    """Claim an IPv4 or IPv6 prefix for a producer."""
    try:
        network = ipaddress.ip_network(prefix)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="PREFIX") from exc
    engine = open_registry(workspace_from(home).registry_url)
    start = JalaliMonth.parse(valid_from).start_ms
    add_prefix_claim(engine, PrefixClaim(producer_id, network, start, None), approve_nested)
    click.echo(f"{producer_id} claims {network}")


@registry.command("list")
@home_option
@json_option
def list_command(home: str | None, as_json: bool) -> None:
    """List producers and their prefix claims."""
    engine = open_registry(workspace_from(home).registry_url)
    claims: dict[str, list[str]] = {}
    for claim in prefix_claims(engine):
        claims.setdefault(claim.producer_id, []).append(str(claim.network))
    rows = [{**p.__dict__, "prefixes": claims.get(p.id, [])} for p in list_producers(engine)]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    for row in rows:
        click.echo(f"{row['id']:24} {row['province']:6} {row['type']:16} "
                   f"{' '.join(row['prefixes'])}")
