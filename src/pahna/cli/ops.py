"""`pahna backup`, `pahna restore`, `pahna store prune`, `pahna config check`."""

from __future__ import annotations

from pathlib import Path

import click

from pahna.cli.options import home_option, workspace_from
from pahna.ops.backup import backup, restore
from pahna.ops.check import check_workspace
from pahna.ops.prune import plan_prune, prune
from pahna.workspace import resolve_home


@click.command("backup")
@click.option("--to", "target", required=True, type=click.Path(file_okay=False),
              help="A new (or empty) folder for the backup.")
@click.option("--with-store", is_flag=True,
              help="Copy the raw flows too (default: the backup refers to their folder).")
@home_option
def backup_command(target: str, with_store: bool, home: str | None) -> None:
    """Back the workspace up: registry, ledger, manifests, settings, tariffs, statements,
    with the sha256 of every file in backup.json."""
    record = backup(workspace_from(home), Path(target).resolve(), with_store)
    click.echo(f"backed up {len(record['files'])} files into {target} "
               f"(raw flows: {record['store_flows']})")


@click.command("restore")
@click.option("--from", "source", required=True, type=click.Path(file_okay=False,
                                                                    exists=True),
              help="The backup's folder.")
@click.option("--registry-url", default=None,
              help="An empty database to restore the registry into (default: the backed-up "
                   "settings' registry; SQLite: registry.sqlite in the new workspace).")
@click.option("--store-flows", default=None, type=click.Path(file_okay=False, exists=True),
              help="Where the raw flows are, when the backup refers to them and they moved.")
@home_option
def restore_command(source: str, registry_url: str | None, store_flows: str | None,
                    home: str | None) -> None:
    """Restore a backup into a new, empty workspace folder (--home), checking every file
    against its sha256 first."""
    workspace = restore(Path(source).resolve(), resolve_home(home), registry_url,
                        Path(store_flows).resolve() if store_flows else None)
    click.echo(f"restored into {workspace.home}; check it with `pahna config check` and "
               "`pahna settle verify --period ...`")


@click.command("prune")
@click.option("--dry-run", is_flag=True, help="Say what would be done; touch nothing.")
@home_option
def prune_command(dry_run: bool, home: str | None) -> None:
    """Apply [retention] of pahna.toml: archive (or free) raw flow files of months final
    long enough, drop old quarantine days. Months that are not final are never touched."""
    workspace = workspace_from(home)
    plan = plan_prune(workspace)
    verb = "would " if dry_run else ""
    for relative in plan.archived:
        click.echo(f"{verb}archive store/{relative}")
    for name in plan.quarantine:
        click.echo(f"{verb}delete quarantine/{name}")
    for reason in plan.refused:
        click.echo(f"left: store/{reason}")
    if not dry_run:
        prune(workspace, plan)
    click.echo(f"prune{' (dry run)' if dry_run else ''}: {len(plan.archived)} raw files "
               f"archived, {len(plan.quarantine)} quarantine days deleted, "
               f"{len(plan.refused)} raw files left")


@click.group("config")
def config_group() -> None:
    """The workspace's settings."""


@config_group.command("check")
@home_option
def config_check_command(home: str | None) -> None:
    """Check settings, registry (connection, schema revision), raw store and retention
    archive; changes nothing. Exits 78 when one fails."""
    checks = check_workspace(resolve_home(home))
    for check in checks:
        click.echo(f"{'ok' if check.ok else 'FAILED':6} {check.what:10} {check.detail}")
    if not all(check.ok for check in checks):
        raise SystemExit(78)  # EX_CONFIG
