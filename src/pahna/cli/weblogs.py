"""`pahna ingest --log-format F`: access logs into the store (the flags live on `ingest`)."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path

import click

from pahna.errors import PahnaError
from pahna.intake.weblog.clients import TrustedProxies
from pahna.intake.weblog.presets import resolve_format
from pahna.intake.weblog.scan import ScanOptions
from pahna.intake.weblog.watch import watch_folders
from pahna.pipeline import final_months_touched, ingest_log_file
from pahna.store.logingest import LogReport
from pahna.workspace import Workspace


def log_options(workspace: Workspace, log_format: str, host: str, tier: str, operator: str,
                timezone: str, proxies: tuple[str, ...]) -> tuple[str, ScanOptions]:
    spec = resolve_format(log_format)
    fmt = spec.initial
    if fmt is not None and not fmt.has_host and not host:
        raise click.UsageError(f"--log-format {log_format}: its lines do not name the host "
                               "they were for; give the site's name with --host")
    if fmt is not None and fmt.needs_timezone and not timezone:
        raise click.UsageError(f"--log-format {log_format}: its times carry no offset; "
                               "say which zone the server logs in with --timezone "
                               "(e.g. Asia/Tehran)")
    trusted = TrustedProxies(list(proxies) or workspace.config.weblog.trusted_proxies)
    return log_format, ScanOptions(tier, operator, host, timezone, trusted)


def ingest_logs(workspace: Workspace, paths: list[Path], log_format: str,
                options: ScanOptions, as_json: bool) -> None:
    spec = resolve_format(log_format)
    reports = [ingest_log_file(workspace, path, spec, options) for path in paths]
    if as_json:
        click.echo(json.dumps({"logs": [r.as_dict() for r in reports]}, indent=1))
    else:
        for report in reports:
            _echo(workspace, report)
    if any(r.grown_from for r in reports):
        raise SystemExit(1)  # a refused file is named above; the others are stored


def watch_logs(workspace: Workspace, folders: list[Path], log_format: str,
               options: ScanOptions) -> None:
    """Ingest what settles in `folders` until SIGINT/SIGTERM."""
    spec = resolve_format(log_format)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())

    def take(path: Path) -> None:
        try:
            _echo(workspace, ingest_log_file(workspace, path, spec, options))
        except PahnaError as error:  # named, and the watch goes on
            click.echo(f"{path}: not stored: {error}", err=True)

    click.echo(f"watching {', '.join(map(str, folders))}", err=True)
    taken = watch_folders(folders, workspace.config.weblog.watch_interval_s, stop, take)
    click.echo(f"stopped: {taken} files taken", err=True)


def _echo(workspace: Workspace, report: LogReport) -> None:
    if report.duplicate:
        click.echo(f"{report.source}: already stored (the same content)")
        return
    if report.grown_from:
        click.echo(f"{report.source}: refused: it begins with the log stored before under "
                   f"this name ({report.grown_from[:16]}), grown since; its earlier lines "
                   "would count twice (ingest logs once rotated)", err=True)
        return
    rejected = sum(report.rejected.values())
    reasons = ", ".join(f"{n} {r}" for r, n in sorted(report.rejected.items()))
    click.echo(f"{report.source}: {report.records} records, {report.bytes} bytes, "
               f"{rejected} lines rejected{f' ({reasons})' if reasons else ''}"
               + (f", kept in {report.quarantine}" if report.quarantine else ""))
    for period in final_months_touched(workspace, report):
        click.echo(f"  {period} is final: these records count only through an adjustment "
                   "in a later month")
