"""`pahna ingest` and `pahna collect`."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path

import click

from pahna.cli.options import home_option, json_option, workspace_from
from pahna.intake.base import Datagram
from pahna.intake.collector import ListenAddress, UdpCollector
from pahna.pipeline import Ingestor


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=True))
@click.option("--exporter", default="0.0.0.0", show_default=True,
              help="Exporter address to record for raw datagram files.")
@home_option
@json_option
def ingest(paths: tuple[str, ...], exporter: str, home: str | None, as_json: bool) -> None:
    """Store flows from raw export files (datagrams back to back), exactly once.

    Folders are walked in name order. A file already stored (same content) is skipped.
    """
    ingestor = Ingestor(workspace_from(home))
    files = [f for p in paths for f in (sorted(Path(p).rglob("*")) if Path(p).is_dir()
                                         else [Path(p)]) if f.is_file()]
    reports = [ingestor.ingest_file(f, exporter) for f in files]
    rows = [{"file": r.source, "records": r.records, "rejected": r.rejected,
             "duplicate": r.duplicate} for r in reports]
    if as_json:
        click.echo(json.dumps({"files": rows, "counters": ingestor.counters.as_dict()}, indent=1))
        return
    for row in rows:
        state = "already stored" if row["duplicate"] else (
            f"{row['records']} records, {row['rejected']} rejected")
        click.echo(f"{row['file']}: {state}")


@click.command()
@click.option("--listen", "listen", multiple=True, metavar="ADDR:PORT",
              help="Where to listen (repeatable); default from pahna.toml [collector].")
@click.option("--duration", type=float, default=None, help="Stop after this many seconds.")
@home_option
def collect(listen: tuple[str, ...], duration: float | None, home: str | None) -> None:
    """Receive IPFIX over UDP and store it; stops on SIGINT/SIGTERM or after --duration."""
    workspace = workspace_from(home)
    settings = workspace.config.collector
    ingestor = Ingestor(workspace)
    addresses = [ListenAddress.parse(a) for a in (listen or settings.listen)]

    def sink(datagrams: list[Datagram]) -> None:
        report = ingestor.ingest_datagrams(datagrams, source="udp")
        click.echo(f"flushed {len(datagrams)} datagrams: {report.records} records, "
                   f"{report.rejected} rejected", err=True)

    collector = UdpCollector(addresses, sink, settings.flush_interval_s,
                             settings.receive_buffer_bytes)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: collector.stop.set())
    if duration is not None:
        threading.Timer(duration, collector.stop.set).start()
    bound = zip(addresses, collector.ports, strict=True)
    click.echo(f"listening on {', '.join(f'{a.host}:{port}' for a, port in bound)}", err=True)
    collector.run()
    click.echo(json.dumps(ingestor.counters.as_dict(), indent=1))
