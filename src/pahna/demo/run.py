"""Run the demo end to end: workspace, registry, collector, exporter, settlement."""

from __future__ import annotations

import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pahna.calendar import JalaliMonth
from pahna.config import PahnaConfig, WorkspaceSettings
from pahna.demo.exporter import send_flows
from pahna.demo.scenario import DEMO_PERIOD, DEMO_TARIFF, demo_producers, domestic_list
from pahna.demo.traffic import generate_month
from pahna.errors import WorkspaceError
from pahna.intake.base import Datagram
from pahna.intake.collector import ListenAddress, UdpCollector
from pahna.intake.ipfix.encoder import is_ipv4
from pahna.pipeline import Ingestor, settle
from pahna.registry.database import open_registry
from pahna.registry.domestic import import_domestic
from pahna.registry.producers import PrefixClaim, add_prefix_claim, add_producer
from pahna.settle.statements import Settlement
from pahna.workspace import CONFIG_NAME, Workspace, init_workspace, open_workspace

DEMO_NAME = "pahna-demo"


@dataclass(frozen=True)
class DemoResult:
    workspace: Workspace
    settlement: Settlement
    statements: list[Path]
    unattributed_bytes: int
    datagrams_sent: int
    datagrams_received: int


def fresh_workspace(home: Path) -> Workspace:
    """Create the demo workspace, replacing an earlier demo (and nothing else)."""
    if (home / CONFIG_NAME).exists():
        if open_workspace(home).config.workspace.name != DEMO_NAME:
            raise WorkspaceError(f"{home}: a pahna workspace that is not a demo; not replacing it")
        shutil.rmtree(home)
    config = PahnaConfig(workspace=WorkspaceSettings(name=DEMO_NAME))
    config.collector.flush_interval_s = 2.0
    return init_workspace(home, config)


def populate_registry(workspace: Workspace) -> int:
    engine = open_registry(workspace.registry_url)
    start = JalaliMonth.parse("1404-01").start_ms
    count = 0
    for item in demo_producers():
        add_producer(engine, item.producer, actor="demo")
        for net in item.prefixes:
            add_prefix_claim(engine, PrefixClaim(item.producer.id, net, start, None),
                             approve_nested=True, actor="demo")
            count += 1
    (workspace.tariffs_dir / "incentive-demo.toml").write_text(DEMO_TARIFF, encoding="utf-8")
    addresses = workspace.home / "demo-ir.cidr"
    addresses.write_text(domestic_list(), encoding="utf-8")
    import_domestic(engine, [addresses], start, actor="demo")
    return count


def run_demo(home: Path, flows: int, console: Console) -> DemoResult:
    workspace = fresh_workspace(home)
    claims = populate_registry(workspace)
    console.print(f"[bold]Workspace[/] {workspace.home}: {len(demo_producers())} producers, "
                  f"{claims} prefix claims, a domestic address list, tariff incentive-demo "
                  "(domestic bytes paid, 10:1 sent/received)")
    traffic = generate_month(demo_producers(), DEMO_PERIOD, flows)
    ingestor = Ingestor(workspace)
    lock = threading.Lock()

    def sink(datagrams: list[Datagram], segments: tuple[str, ...]) -> None:
        with lock:
            ingestor.ingest_datagrams(datagrams, source="udp://127.0.0.1")

    collector = UdpCollector([ListenAddress("127.0.0.1", 0)], sink,
                             workspace.home / "spool" / "demo",
                             workspace.config.collector.flush_interval_s)
    thread = threading.Thread(target=collector.run, name="collector", daemon=True)
    thread.start()
    sent = _export(traffic, collector.ports[0], console)
    deadline = time.monotonic() + 10
    while collector.received < sent and time.monotonic() < deadline:
        time.sleep(0.05)
    collector.stop.set()
    thread.join()
    console.print(f"[bold]Collector[/] received {collector.received:,} of {sent:,} datagrams; "
                  f"stored {sum(c.records for c in ingestor.counters.by_exporter.values()):,} "
                  "flow records")
    with console.status("Attributing, aggregating (DuckDB) and settling"):
        settlement, paths, usage = settle(workspace, DEMO_PERIOD)
    unattributed = sum(r["bytes"] for r in usage.to_pylist() if r["producer_id"] is None)
    return DemoResult(workspace, settlement, paths, unattributed, sent, collector.received)


def _export(traffic: pa.Table, port: int, console: Console) -> int:
    """Two routers (127.0.0.1 for IPv4 sources, 127.0.0.2 for IPv6) export the month."""
    v4 = is_ipv4(traffic, "src_addr")
    parts = [(traffic.filter(pa.array(v4)), "127.0.0.1", 1),
             (traffic.filter(pa.array(~v4)), "127.0.0.2", 2)]
    total = sum((part.num_rows + 25) // 26 for part, _, _ in parts)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    sent = 0
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("Exporting IPFIX over UDP", total=total)
        for part, source, domain in parts:
            sent += send_flows(part, "127.0.0.1", port, domain=domain, source=source,
                               on_sent=lambda n: progress.advance(task, n))
        progress.update(task, total=sent, completed=sent)
    return sent
