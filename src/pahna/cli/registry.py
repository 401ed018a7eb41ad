"""`pahna registry ...`: producers, zones, claims, metering points and the audit log."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import click

from pahna.cli.options import home_option, json_option, workspace_from
from pahna.errors import RegistryError
from pahna.ledger.book import Ledger
from pahna.parties import CONTENT_CATEGORIES, PRODUCER_TYPES, ROLES, ContentItem, Producer
from pahna.registry.audit import audit_log
from pahna.registry.bulk import export_files, import_files
from pahna.registry.catalogue import put_item
from pahna.registry.claimbook import ClaimSpec, normalize_value
from pahna.registry.claims import add_claims, end_claim, list_claims
from pahna.registry.database import open_registry
from pahna.registry.instants import format_instant, parse_instant
from pahna.registry.metering import MeteringPoint, add_point
from pahna.registry.models import CLAIM_KINDS, DIRECTIONS
from pahna.registry.producers import add_producer, list_producers
from pahna.registry.renames import rename_producer

actor_option = click.option("--actor", default="cli", show_default=True,
                            help="Who makes the change (written to the audit log).")


@click.group()
def registry() -> None:
    """Producers, zones, claims (prefixes, AS numbers, host names) and the audit log."""


def _instant(text: str, name: str) -> int:
    try:
        return parse_instant(text)
    except ValueError as exc:
        raise RegistryError(f"{name}: {exc}") from exc


@registry.command("add-producer")
@click.argument("producer_id")
@click.option("--name", required=True, help="Name in English.")
@click.option("--name-fa", default="", help="Name in Persian.")
@click.option("--province", required=True, help="ISO 3166-2:IR code, e.g. IR-25 for Qom.")
@click.option("--type", "kind", type=click.Choice(PRODUCER_TYPES), required=True)
@click.option("--zone", default=None, help="Special IT zone id.")
@click.option("--iban", default=None, help="IR + 24 digits, checked (ISO 7064 mod 97).")
@click.option("--contact", default=None)
@click.option("--role", type=click.Choice(ROLES), default="producer", show_default=True,
              help="operator: a CDN or hosting operator whose flows are shared among its "
                   "tenants by their log bytes (never paid itself).")
@actor_option
@home_option
def add_producer_command(producer_id: str, name: str, name_fa: str, province: str, kind: str,
                         zone: str | None, iban: str | None, contact: str | None, role: str,
                         actor: str, home: str | None) -> None:
    """Register a content producer (or, with --role operator, a CDN or hosting operator)."""
    engine = open_registry(workspace_from(home).registry_url)
    add_producer(engine, Producer(producer_id, name, name_fa, province, kind, zone, iban,
                                  contact, role=role), actor)
    click.echo(f"added producer {producer_id}")


@registry.command("add-claim")
@click.argument("producer_id")
@click.argument("value")
@click.option("--kind", type=click.Choice(CLAIM_KINDS), default="prefix", show_default=True)
@click.option("--from", "valid_from", default="1300-01-01",
              help="Start: ISO 8601 or Jalali (1404-08-01 is 00:00 Tehran that day).")
@click.option("--to", "valid_to", default=None, help="End (exclusive); open when absent.")
@click.option("--approve-nested", is_flag=True, help="Approve nesting in another's claim.")
@click.option("--content", "content_id", default=None,
              help="The catalogue entry a host claim is for (pahna registry add-content).")
@actor_option
@home_option
def add_claim_command(producer_id: str, value: str, kind: str, valid_from: str,
                      valid_to: str | None, approve_nested: bool, content_id: str | None,
                      actor: str, home: str | None) -> None:
    """Claim a prefix, AS number, host name or host name and path for a producer
    (www.example.ir, *.example.ir, www.example.ir/video/)."""
    try:
        normalized = normalize_value(kind, value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="VALUE") from exc
    spec = ClaimSpec(producer_id, kind, normalized, _instant(valid_from, "--from"),
                     _instant(valid_to, "--to") if valid_to else None, content_id)
    add_claims(open_registry(workspace_from(home).registry_url), [spec], approve_nested, actor)
    click.echo(f"{producer_id} claims {kind} {normalized}")


@registry.command("add-content")
@click.argument("content_id")
@click.option("--producer", "producer_id", required=True, help="Whose entry it is.")
@click.option("--title", default="", help="Title in English.")
@click.option("--title-fa", default="", help="Title in Persian.")
@click.option("--category", type=click.Choice(CONTENT_CATEGORIES), required=True)
@click.option("--language", default="fa", show_default=True, help="ISO 639 code.")
@click.option("--province", required=True, help="ISO 3166-2:IR code, e.g. IR-25.")
@actor_option
@home_option
def add_content_command(content_id: str, producer_id: str, title: str, title_fa: str,
                        category: str, language: str, province: str, actor: str,
                        home: str | None) -> None:
    """Add or change a content catalogue entry (a host claim may name it: add-claim
    --content)."""
    item = ContentItem(content_id, producer_id, title, title_fa, category, language, province)
    changed = put_item(open_registry(workspace_from(home).registry_url), item, actor)
    click.echo(f"{'stored' if changed else 'unchanged'}: content item {content_id}")


@registry.command("add-metering")
@click.argument("producer_id")
@click.argument("exporter")
@click.argument("interface", type=int)
@click.option("--direction", type=click.Choice(DIRECTIONS), required=True)
@click.option("--from", "valid_from", default="1300-01-01", help="Start: ISO 8601 or Jalali.")
@click.option("--to", "valid_to", default=None, help="End (exclusive); open when absent.")
@actor_option
@home_option
def add_metering_command(producer_id: str, exporter: str, interface: int, direction: str,
                         valid_from: str, valid_to: str | None, actor: str,
                         home: str | None) -> None:
    """Count PRODUCER_ID's traffic only where EXPORTER sees it on INTERFACE.

    Flows whose direction the exporter does not say (NetFlow v5, sFlow, templates
    without flowDirection) are seen at an ingress point when their input interface is
    INTERFACE, at an egress point when their output interface is."""
    point = MeteringPoint(producer_id, exporter, interface, direction,
                          _instant(valid_from, "--from"),
                          _instant(valid_to, "--to") if valid_to else None)
    add_point(open_registry(workspace_from(home).registry_url), point, actor)
    click.echo(f"{producer_id} is metered at {exporter} interface {interface} {direction}")


@registry.command("end-claim")
@click.argument("claim_id", type=int)
@click.option("--at", "at", required=True, help="When the claim ends: ISO 8601 or Jalali.")
@actor_option
@home_option
def end_claim_command(claim_id: int, at: str, actor: str, home: str | None) -> None:
    """End a claim (claims are never deleted; their validity closes)."""
    end_claim(open_registry(workspace_from(home).registry_url), claim_id, _instant(at, "--at"),
              actor)
    click.echo(f"claim {claim_id} ends at {format_instant(_instant(at, '--at'))}")


@registry.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--approve-nested", is_flag=True,
              help="Approve claims nested in another producer's (recorded in the audit log).")
@actor_option
@home_option
def import_command(files: tuple[str, ...], approve_nested: bool, actor: str,
                   home: str | None) -> None:
    """Import zones.csv, producers.csv, claims.csv, metering.csv: all or nothing."""
    engine = open_registry(workspace_from(home).registry_url)
    summary = import_files(engine, [Path(f) for f in files], approve_nested, actor)
    click.echo(f"imported {summary.rows} rows from {len(files)} files; {summary.changed} changes")


@registry.command("rename-producer")
@click.argument("old")
@click.argument("new")
@actor_option
@home_option
def rename_producer_command(old: str, new: str, actor: str, home: str | None) -> None:
    """Move producer OLD (an id from before ids were slugs) to the valid id NEW, with its
    claims, metering points, accounts and disputes. Refused while the ledger names OLD
    (a final in force, costs, adjustments): sealed months keep the ids they were sealed
    with."""
    workspace = workspace_from(home)
    held = ledger_mentions(Ledger(workspace.home), old)
    if held:
        raise RegistryError(f"{old} is named in the ledger ({'; '.join(held)}); a sealed "
                            "month keeps its ids: void and reissue an unpaid month after "
                            "the rename, or keep the id")
    rename_producer(open_registry(workspace.registry_url), old, new, actor)
    click.echo(f"producer {old} is now {new}")


def ledger_mentions(ledger: Ledger, producer_id: str) -> list[str]:
    """Where the ledger names `producer_id`: finals in force, costs, adjustments."""
    found = [f"adjustment {a.id}" for a in ledger.adjustments()
             if a.producer_id == producer_id]
    periods = sorted(p.name for p in ledger.root.glob("1*") if p.is_dir()) if (
        ledger.root.is_dir()) else []
    for period in periods:
        if ledger.active_revision(period) is not None and any(
                line["producer_id"] == producer_id
                for line in ledger.final(period)["settlement"]["lines"]):
            found.append(f"the final of {period}")
        if producer_id in ledger.costs(period):
            found.append(f"the costs of {period}")
    return found


@registry.command("export")
@click.option("--to", "folder", default=".", show_default=True,
              type=click.Path(file_okay=False), help="Folder for the CSV files.")
@home_option
def export_command(folder: str, home: str | None) -> None:
    """Export the registry as CSV files that `registry import` reads back."""
    for path in export_files(open_registry(workspace_from(home).registry_url), Path(folder)):
        click.echo(str(path))


@registry.command("list")
@home_option
@json_option
def list_command(home: str | None, as_json: bool) -> None:
    """List producers and their claims (ended claims included, with their end)."""
    engine = open_registry(workspace_from(home).registry_url)
    claims: dict[str, list[dict[str, object]]] = {}
    for claim in list_claims(engine):
        claims.setdefault(claim.spec.producer_id, []).append({
            "id": claim.id, "kind": claim.spec.kind, "value": claim.spec.value,
            "valid_from": format_instant(claim.spec.valid_from_ms),
            "valid_to": format_instant(claim.spec.valid_to_ms) or None,
            "nested_approved": claim.nested_approved})
    rows = [{**asdict(p), "claims": claims.get(p.id, [])} for p in list_producers(engine)]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    for row in rows:
        values = " ".join(str(c["value"]) for c in row["claims"])
        click.echo(f"{row['id']:24} {row['province']:6} {row['type']:16} {values}")


@registry.command("audit")
@home_option
@json_option
def audit_command(home: str | None, as_json: bool) -> None:
    """Show the audit log: who changed what, when, before and after."""
    entries = audit_log(open_registry(workspace_from(home).registry_url))
    if as_json:
        click.echo(json.dumps([asdict(e) for e in entries], ensure_ascii=False, indent=1))
        return
    for e in entries:
        click.echo(f"{format_instant(e.at_ms)} {e.actor:12} {e.action:22} {e.entity}")
