"""`pahna ingest` and `pahna collect`."""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Callable
from pathlib import Path

import click

from pahna.cli.options import home_option, json_option, workspace_from
from pahna.intake.base import Datagram
from pahna.intake.collector import ListenAddress, UdpCollector
from pahna.intake.dispatch import warm_up
from pahna.intake.metrics import MetricsServer, render
from pahna.pipeline import Ingestor, IngestReport
from pahna.store.state import state_name


def _files(paths: tuple[str, ...]) -> list[Path]:
    """Files named, and files under folders named, folders walked in name order."""
    out: list[Path] = []
    for text in paths:
        path = Path(text)
        found = sorted(path.rglob("*")) if path.is_dir() else [path]
        out.extend(f for f in found if f.is_file() and not f.name.startswith("."))
    return out


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=True))
@click.option("--exporter", default="0.0.0.0", show_default=True,
              help="Exporter address to record for raw datagram files (captures keep their "
                   "own).")
@home_option
@json_option
def ingest(paths: tuple[str, ...], exporter: str, home: str | None, as_json: bool) -> None:
    """Store flows from captures (pcap, pcapng) and raw export files, exactly once.

    PATHS are files or folders (walked in name order). A file already stored (same
    content) is skipped; what cannot be decoded is counted and quarantined.
    """
    ingestor = Ingestor(workspace_from(home))
    reports = [ingestor.ingest_file(f, exporter) for f in _files(paths)]
    rows = [_row(r) for r in reports]
    if as_json:
        click.echo(json.dumps({"files": rows, "counters": ingestor.counters.as_dict(),
                               "replay": vars(ingestor.replay)}, indent=1))
        return
    for row in rows:
        state = "already stored" if row["duplicate"] else (
            f"{row['records']} records, {row['rejected']} rejected")
        click.echo(f"{row['file']}: {state}")


def _row(report: IngestReport) -> dict[str, object]:
    return {"file": report.source, "records": report.records, "rejected": report.rejected,
            "duplicate": report.duplicate,
            "batch_id": report.manifest.batch_id if report.manifest else None}


@click.command()
@click.option("--listen", "listen", multiple=True, metavar="ADDR:PORT",
              help="Where to listen (repeatable; IPv6 as [::1]:4739); default from pahna.toml.")
@click.option("--metrics", "metrics", default=None, metavar="ADDR:PORT",
              help="Serve Prometheus metrics at http://ADDR:PORT/metrics.")
@click.option("--flush-interval", type=float, default=None,
              help="Seconds between flushes to the store (default from pahna.toml).")
@click.option("--duration", type=float, default=None, help="Stop after this many seconds.")
@home_option
def collect(listen: tuple[str, ...], metrics: str | None, flush_interval: float | None,
            duration: float | None, home: str | None) -> None:
    """Receive IPFIX, NetFlow v5/v9 and sFlow v5 over UDP and store them.

    Stops on SIGINT/SIGTERM or after --duration, flushing what it holds. Each flush
    prints one line of counters on stderr.
    """
    workspace = workspace_from(home)
    settings = workspace.config.collector
    listening = list(listen or settings.listen)
    ingestor = Ingestor(workspace, state=state_name(listening))
    addresses = [ListenAddress.parse(a) for a in listening]
    collector = UdpCollector(addresses, _sink(ingestor), flush_interval or
                             settings.flush_interval_s, settings.receive_buffer_bytes)
    warm_up()
    server = _metrics_server(metrics or settings.metrics_listen, ingestor, collector)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: collector.stop.set())
    if duration is not None:
        timer = threading.Timer(duration, collector.stop.set)
        timer.daemon = True
        timer.start()
    bound = zip(addresses, collector.ports, strict=True)
    click.echo(f"listening on {', '.join(f'{a.host}:{port}' for a, port in bound)}", err=True)
    try:
        collector.run()
    finally:
        if server is not None:
            server.close()
    click.echo(json.dumps(ingestor.counters.as_dict(), indent=1))


def _sink(ingestor: Ingestor) -> Callable[[list[Datagram]], None]:
    def sink(datagrams: list[Datagram]) -> None:
        report = ingestor.ingest_datagrams(datagrams, source="udp")
        totals = ingestor.counters.totals()
        click.echo(f"flushed {len(datagrams)} datagrams: {report.records} records, "
                   f"{report.rejected} rejected | total {totals}", err=True)
    return sink


def _metrics_server(listen: str, ingestor: Ingestor,
                    collector: UdpCollector) -> MetricsServer | None:
    if not listen:
        return None
    address = ListenAddress.parse(listen)
    server = MetricsServer(address.host, address.port,
                           lambda: render(ingestor.counters, {
                               "collector_received_total": collector.received,
                               "collector_failed_batches_total": collector.failed_batches}))
    click.echo(f"metrics on http://{listen}/metrics (port {server.port})", err=True)
    return server
