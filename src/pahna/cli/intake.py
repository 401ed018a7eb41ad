"""`pahna ingest` and `pahna collect`."""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path

import click

from pahna.cli.options import home_option, json_option, workspace_from
from pahna.cli.weblogs import ingest_logs, log_options, watch_logs
from pahna.cli.workers import supervise
from pahna.errors import PahnaError
from pahna.intake.base import Datagram
from pahna.intake.collector import ListenAddress, Sink, UdpCollector
from pahna.intake.dispatch import warm_up
from pahna.intake.health import ExporterHealth, watch
from pahna.intake.metrics import CollectorView, MetricsServer, metrics_registry
from pahna.intake.receiver import SpoolBounds
from pahna.intake.replay import Selection
from pahna.intake.sockets import granted_buffer
from pahna.ops.logs import log, setup_logging
from pahna.pipeline import Ingestor, IngestReport, check_operator
from pahna.schema import address_to_bytes, address_to_text
from pahna.store.state import listen_key
from pahna.workspace import Workspace

LOG = logging.getLogger("pahna.collect")


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
@click.option("--port", "ports", multiple=True, type=click.IntRange(1, 65535),
              help="Take only a capture's datagrams to this UDP port (repeatable). Default: "
                   "2055, 4739, 6343, 9995, 9996 and the ports pahna.toml listens on; any "
                   "port when --exporter is given.")
@click.option("--exporter", "exporters", multiple=True, metavar="ADDR",
              help="Take only a capture's datagrams from this exporter (repeatable); raw "
                   "datagram files are recorded as from the first one (default 0.0.0.0).")
@click.option("--log-format", "log_format", default=None, metavar="F",
              help="Read PATHS as web access logs in format F: a preset (nginx-combined, "
                   "apache-combined, apache-combinedio, apache-common, varnishncsa, w3c, "
                   "cloudfront, squid, trafficserver-squid, haproxy-http, cloudflare, fastly, "
                   "...) or the server's own format string (docs/weblogs.md).")
@click.option("--host", "log_host", default="", metavar="NAME",
              help="Logs: the site the requests were for, when the lines do not say.")
@click.option("--tier", type=click.Choice(["edge", "origin", "shield"]), default="edge",
              help="Logs: written at the edge that served clients (counted), or at an origin "
                   "or a CDN shield (kept, never paid).")
@click.option("--operator", "operator", default="", metavar="ID",
              help="Logs: the registered CDN or hosting operator whose edge wrote them.")
@click.option("--timezone", "timezone", default="", metavar="ZONE",
              help="Logs: the server's zone, for formats whose times carry no offset.")
@click.option("--trusted-proxy", "proxies", multiple=True, metavar="CIDR",
              help="Logs: a proxy whose X-Forwarded-For is believed (repeatable; default "
                   "[weblog] trusted_proxies).")
@click.option("--watch", is_flag=True,
              help="Logs: watch the folders PATHS and ingest each file once it settles, until "
                   "stopped.")
@home_option
@json_option
def ingest(paths: tuple[str, ...], ports: tuple[int, ...], exporters: tuple[str, ...],
           log_format: str | None, log_host: str, tier: str, operator: str, timezone: str,
           proxies: tuple[str, ...], watch: bool, home: str | None, as_json: bool) -> None:
    """Store flows from captures (pcap, pcapng), quarantine files and raw export files;
    or, with --log-format, web access logs (plain, gzip or zstd).

    PATHS are files or folders (walked in name order). Export messages already in the
    store (the same exporter, stream, sequence and bytes) are counted as duplicates and
    not stored again; what cannot be decoded is counted and quarantined; a capture's
    other packets are skipped and counted by reason. A log whose content is already
    stored is not stored again; its bad lines are counted by reason and kept in
    quarantine with their line numbers.
    """
    workspace = workspace_from(home)
    if log_format is not None:
        _ingest_logs(workspace, paths, log_format, (log_host, tier, operator, timezone),
                     proxies, watch, as_json)
        return
    selection = Selection.for_ingest(list(ports), [address_to_bytes(e) for e in exporters],
                                     workspace.config.collector.listen)
    ingestor = Ingestor(workspace, selection=selection)
    exporter = exporters[0] if exporters else "0.0.0.0"
    reports = [ingestor.ingest_file(f, exporter) for f in _files(paths)]
    held = ingestor.shutdown()
    rows = [_row(r) for r in reports]
    if as_json:
        click.echo(json.dumps({"files": rows, "counters": ingestor.counters.as_dict(),
                               "replay": vars(ingestor.replay), "held_quarantined": held},
                              indent=1))
        return
    for row in rows:
        state = "already stored" if row["duplicate"] else (
            f"{row['records']} records, {row['rejected']} rejected, "
            f"{row['duplicates']} duplicates")
        click.echo(f"{row['file']}: {state}")
    if ingestor.replay.skipped:
        skipped = ", ".join(f"{n} {reason}"
                            for reason, n in sorted(ingestor.replay.skipped.items()))
        click.echo(f"capture packets skipped: {skipped}")
    if held:
        click.echo(f"{held} data sets never got their template: quarantined")


def _ingest_logs(workspace: Workspace, paths: tuple[str, ...], log_format: str,
                 where: tuple[str, str, str, str], proxies: tuple[str, ...], watch: bool,
                 as_json: bool) -> None:
    fmt, options = log_options(workspace, log_format, *where, proxies)
    if options.operator:
        check_operator(workspace, options.operator)
    if watch:
        watch_logs(workspace, [Path(p) for p in paths], fmt, options)
    else:
        ingest_logs(workspace, _files(paths), fmt, options, as_json)


def _row(report: IngestReport) -> dict[str, object]:
    return {"file": report.source, "records": report.records, "rejected": report.rejected,
            "duplicate": report.duplicate, "duplicates": report.duplicates,
            "batch_id": report.manifest.batch_id if report.manifest else None}


@click.command()
@click.option("--listen", "listen", multiple=True, metavar="ADDR:PORT",
              help="Where to listen (repeatable; IPv6 as [::1]:4739); default from pahna.toml.")
@click.option("--metrics", "metrics", default=None, metavar="ADDR:PORT",
              help="Serve Prometheus metrics at http://ADDR:PORT/metrics (worker I of "
                   "--workers at PORT+I).")
@click.option("--flush-interval", type=float, default=None,
              help="Seconds between flushes to the store (default from pahna.toml).")
@click.option("--duration", type=float, default=None, help="Stop after this many seconds.")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Receiving processes sharing each address (SO_REUSEPORT); default from "
                   "pahna.toml.")
@click.option("--worker", "worker", default=None, hidden=True, metavar="I/N")
@home_option
def collect(listen: tuple[str, ...], metrics: str | None, flush_interval: float | None,
            duration: float | None, workers: int | None, worker: str | None,
            home: str | None) -> None:
    """Receive IPFIX, NetFlow v5/v9 and sFlow v5 over UDP and store them.

    Datagrams go to a spool on disk (HOME/spool/) as they arrive and from there, in
    batches, to the store. Stops on SIGINT/SIGTERM or after --duration, storing what the
    spool holds. Each flush prints one line of counters on stderr.
    """
    workspace = workspace_from(home)
    setup_logging(workspace.config.logging.format)
    settings = workspace.config.collector
    listening = list(listen or settings.listen)
    count = workers or settings.workers
    if worker is None and count > 1:
        supervise(workspace.home, listening, count, metrics or settings.metrics_listen,
                  flush_interval, duration)
        return
    index = int((worker or "0/1").partition("/")[0])
    key = listen_key(listening) + (f"-w{index}" if worker else "")
    ingestor = Ingestor(workspace, state=f"intake-state-{key}.json")
    addresses = [ListenAddress.parse(a) for a in listening]
    health = ExporterHealth(workspace.home, key, listen_key(listening),
                            settings.expected_exporters, settings.silence_limit_s)
    collector = UdpCollector(
        addresses, _sink(ingestor, health, lambda: collector.counters(),
                         lambda: collector.stop),
        workspace.home / "spool" / key, flush_interval or settings.flush_interval_s,
        settings.receive_buffer_bytes,
        SpoolBounds(settings.spool_segment_bytes, flush_interval or settings.flush_interval_s,
                    settings.spool_fsync_interval_s, settings.spool_limit_bytes),
        reuse_port=worker is not None, alarm=alarm)
    _check_buffers(collector, settings.receive_buffer_bytes)
    warm_up()
    server = _metrics_server(_worker_address(metrics or settings.metrics_listen, index),
                             CollectorView(lambda: ingestor.counters, collector.counters,
                                           lambda: ingestor.store_retries,
                                           collector.spool, health))
    if settings.expected_exporters:
        watch(health, collector.stop, alarm)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: collector.stop.set())
    if duration is not None:
        timer = threading.Timer(duration, collector.stop.set)
        timer.daemon = True
        timer.start()
    bound = zip(addresses, collector.ports, strict=True)
    where = ", ".join(f"{a.host}:{port}" for a, port in bound)
    say("listening", f"{f'worker {worker} ' if worker else ''}listening on {where}",
        addresses=where)
    if worker:
        click.echo("ready")
        sys.stdout.flush()
    try:
        collector.run()
    except PahnaError:
        raise
    except Exception as error:  # a bug: say so, exit non-zero; the spool keeps the data
        traceback.print_exc()
        say("crashed", f"pahna collect: stopped by an unexpected {type(error).__name__} "
            f"({error}); what the spool holds is stored when it starts again", logging.ERROR)
        sys.exit(70)
    finally:
        if server is not None:
            server.close()
    held = ingestor.shutdown()
    if held:
        say("quarantined", f"{held} data sets still waited for their template: quarantined",
            held=held)
    counts = collector.counters()
    say("stopped", f"stopped: received {counts['datagrams']} datagrams, "
        f"{counts['kernel_drops']} kernel drops ({counts['kernel_drops_after_stop']} refused "
        f"after the stop), {counts.get('spool_full_datagrams', 0)} dropped by a full spool, "
        f"{counts.get('write_failed_datagrams', 0)} lost to failed spool writes, "
        f"{counts['unread_bytes_at_close']} bytes unread at close | total "
        f"{ingestor.counters.totals()}", **counts)
    click.echo(json.dumps(ingestor.counters.as_dict(), indent=1))


def say(event: str, text: str, level: int = logging.INFO, **fields: object) -> None:
    """A line of the collector's log (its format: `[logging] format`)."""
    log(LOG, level, event, text, **fields)


def alarm(text: str) -> None:
    say("alarm", text, logging.WARNING)


def _check_buffers(collector: UdpCollector, asked: int) -> None:
    """Say so when the kernel gave a socket less receive buffer than configured."""
    granted = min(granted_buffer(s) for s in collector.sockets) // 2
    if granted < asked:
        say("receive_buffer", f"receive buffer: asked {asked} bytes, the kernel gave {granted} "
            "(raise net.core.rmem_max, or run with CAP_NET_ADMIN)", logging.WARNING,
            asked=asked, granted=granted)


def _worker_address(listen: str, index: int) -> str:
    if not listen or index == 0:
        return listen
    address = ListenAddress.parse(listen)
    host = f"[{address.host}]" if ":" in address.host else address.host
    return f"{host}:{address.port + index}"


def _sink(ingestor: Ingestor, health: ExporterHealth, receiving: Callable[[], dict[str, int]],
          stop: Callable[[], threading.Event]) -> Sink:
    def sink(datagrams: list[Datagram], segments: tuple[str, ...]) -> None:
        report = ingestor.ingest_retrying(datagrams, "udp", segments, stop(),
                                          alarm)
        health.committed([address_to_text(raw) for raw in {d.exporter for d in datagrams}])
        totals = ingestor.counters.totals()
        counts = receiving()
        say("flushed", f"flushed {len(datagrams)} datagrams: {report.records} records, "
            f"{report.rejected} rejected, {report.duplicates} duplicates | total "
            f"{totals}, {counts.get('kernel_drops', 0)} kernel drops, "
            f"{counts.get('spool_full_datagrams', 0)} dropped by a full spool",
            datagrams=len(datagrams), records=report.records, rejected=report.rejected,
            duplicates=report.duplicates, kernel_drops=counts.get("kernel_drops", 0),
            spool_full_datagrams=counts.get("spool_full_datagrams", 0))
    return sink


def _metrics_server(listen: str, view: CollectorView) -> MetricsServer | None:
    if not listen:
        return None
    address = ListenAddress.parse(listen)
    server = MetricsServer(address.host, address.port, metrics_registry(view))
    say("metrics", f"metrics on http://{listen}/metrics (port {server.port})",
        port=server.port)
    return server
