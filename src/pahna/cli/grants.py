"""`pahna grants ...`: the grant board for officers who script."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from pahna.cli.options import home_option, workspace_from
from pahna.errors import GrantError, HistoryError, OcdsError
from pahna.grants import process
from pahna.grants.applicants import import_applicants
from pahna.grants.board import load_board
from pahna.grants.callfile import read_call_file
from pahna.grants.demo import run_grants_demo
from pahna.grants.documents import DocumentStore
from pahna.grants.flags import red_flags
from pahna.grants.giving import awards_csv
from pahna.grants.history import Author, verify
from pahna.grants.ocds.packages import (
    board_releases,
    in_month,
    months,
    record_package,
    release_package,
)
from pahna.grants.ocds.schema import problems
from pahna.registry.database import open_registry
from pahna.workspace import init_workspace, resolve_home

actor_option = click.option("--actor", default="cli", show_default=True,
                            help="Who makes the change (kept in the history and audit log).")


@click.group()
def grants() -> None:
    """The grant board: calls, awards and their open contracting data (OCDS)."""


@grants.command("demo")
@home_option
def demo_command(home: str | None) -> None:
    """Fill a workspace (made if missing) with a realistic Qom round on the board."""
    folder = resolve_home(home)
    if not folder.exists() or not any(folder.iterdir()):
        init_workspace(folder)
    workspace = workspace_from(str(folder))
    counts = run_grants_demo(open_registry(workspace.registry_url),
                             DocumentStore(workspace.documents_dir))
    click.echo(", ".join(f"{n} {kind}s" for kind, n in counts.items()) + f" in {folder}")


@grants.command("import-call")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--reason", default="call opened", show_default=True)
@actor_option
@home_option
def import_call(file: str, reason: str, actor: str, home: str | None) -> None:
    """Open (or revise) a call described in a TOML file (format: docs/grants.md)."""
    engine = open_registry(workspace_from(home).registry_url)
    programme, call = read_call_file(Path(file))
    author = Author(actor)
    if programme is not None and not load_board(engine).has("programme", programme.id):
        process.put_programme(engine, programme, author)
    if load_board(engine).has("call", call.id) and reason == "call opened":
        reason = "call revised"
    revision = process.put_call(engine, call, author, reason)
    click.echo(f"call {call.id}: revision {revision.revision} ({revision.hash[:12]})")


@grants.command("import-applicants")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@actor_option
@home_option
def import_applicants_command(file: str, actor: str, home: str | None) -> None:
    """Register firms and student teams from CSV, all or nothing (columns: docs/grants.md)."""
    engine = open_registry(workspace_from(home).registry_url)
    count = import_applicants(engine, Path(file), Author(actor))
    click.echo(f"{count} applicants registered or revised")


@grants.command("export")
@click.option("--to", "folder", required=True, type=click.Path(file_okay=False))
@home_option
def export_command(folder: str, home: str | None) -> None:
    """Write releases.json, records.json, awards.csv and one release package per month."""
    workspace = workspace_from(home)
    engine = open_registry(workspace.registry_url)
    settings = workspace.config.grants
    releases = board_releases(engine, settings)
    packages = {"releases.json": release_package(releases, settings),
                "records.json": record_package(releases, settings)}
    for period in months(releases):
        name = f"months/{period}.json"
        packages[name] = release_package(in_month(releases, period), settings, name)
    target = Path(folder)
    (target / "months").mkdir(parents=True, exist_ok=True)
    for name, package in packages.items():
        _write(target / name, package)
    (target / "awards.csv").write_text(awards_csv(load_board(engine), settings),
                                       encoding="utf-8")
    click.echo(f"{len(releases)} releases, {len(months(releases))} months, in {target}")


def _write(path: Path, data: object) -> None:
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    temp.replace(path)


@grants.command("validate")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def validate_command(file: str) -> None:
    """Validate a release, release package or record package against OCDS 1.1.5 and the
    board's extensions, offline. Exit 65 with the errors when it is not valid."""
    try:
        data = json.loads(Path(file).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise GrantError(f"{file}: not JSON: {exc}") from exc
    kind = ("record-package" if "records" in data else
            "release-package" if "releases" in data else "release")
    found = problems(data, kind)
    if found:
        raise OcdsError(f"{file} ({kind})", found)
    click.echo(f"{file}: a valid {kind} (OCDS 1.1.5)")


@grants.command("verify")
@home_option
def verify_command(home: str | None) -> None:
    """Check the board's history: every revision's hash and link, and the audit log."""
    engine = open_registry(workspace_from(home).registry_url)
    found = verify(engine)
    if found:
        raise HistoryError(found)
    click.echo("grant history verifies")


@grants.command("flags")
@home_option
def flags_command(home: str | None) -> None:
    """The red flags the board raises now."""
    workspace = workspace_from(home)
    board = load_board(open_registry(workspace.registry_url))
    for flag in red_flags(board, workspace.config.grants, time.time_ns() // 1_000_000):
        click.echo(f"{flag.code}\t{flag.call_id or '-'}\t{flag.subject}\t{flag.detail}")
