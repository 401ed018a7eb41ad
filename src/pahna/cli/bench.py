"""`pahna bench`: generated data for tests and sizing."""

from __future__ import annotations

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pahna.bench.inflation import Injection, import_bench_hosting
from pahna.bench.month import DEFAULT_CHUNK_ROWS, write_month
from pahna.bench.scenario import populate_registry
from pahna.cli.options import home_option
from pahna.demo.scenario import DEMO_PERIOD
from pahna.workspace import CONFIG_NAME, Workspace, init_workspace, open_workspace, resolve_home


@click.group()
def bench() -> None:
    """Generated months of flows, for engine comparisons and sizing."""


@bench.command()
@click.option("--flows", type=click.IntRange(1, None), required=True,
              help="Flow records in the month (any number; written in chunks).")
@click.option("--period", default=DEMO_PERIOD, show_default=True, help="Jalali month.")
@click.option("--seed", type=int, default=1404, show_default=True,
              help="Random seed; the same seed and size give the same files.")
@click.option("--chunk-rows", type=click.IntRange(1_000, None), default=DEFAULT_CHUNK_ROWS,
              show_default=True, help="Flow records per committed batch (bounds memory).")
@click.option("--inject", "injections", multiple=True, metavar="SCENARIO:PRODUCER:SHARE",
              help="Inject made bytes (repeatable): self, datacentre, collude (A+B), flat, "
                   "step, concentrated or thin (A+B+...) at a share of the producer's "
                   "real traffic (of the flow records attribution gives it in the month, "
                   "nested claims included), e.g. flat:qom-tv:0.2. The bench hosting "
                   "list is imported once.")
@home_option
def generate(flows: int, period: str, seed: int, chunk_rows: int,
             injections: tuple[str, ...], home: str | None) -> None:
    """Write a realistic month of flows into a workspace's store.

    The workspace is created if needed, and an empty registry gets the demo's producers
    plus nested, time-limited claims (IPv4 and IPv6) and the demo tariff. Flows follow
    a Tehran daily cycle, come through six exporters (some sampling 1:100, 1:512,
    1:1000), span 5-minute bins, and a few start the evening before the month.
    """
    chosen = [Injection.parse(spec) for spec in injections]
    workspace = _workspace(home)
    if populate_registry(workspace, period):
        click.echo(f"registry of {workspace.home}: bench producers and claims added")
    if chosen and import_bench_hosting(workspace, period):
        click.echo(f"hosting list of {workspace.home}: the bench data centres imported")
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(f"Generating {flows:,} flows", total=flows)
        report = write_month(workspace, period, flows, seed, chunk_rows,
                             on_chunk=lambda chunk: progress.advance(task, chunk.flows),
                             injections=chosen)
    click.echo(f"{report.flows:,} flows of {report.period} in {report.chunks} chunks: "
               f"{report.written} written ({report.files} files), "
               f"{report.chunks - report.written} already stored"
               + (f"; {report.injected:,} injected flows" if chosen else ""))


def _workspace(home: str | None) -> Workspace:
    path = resolve_home(home)
    if (path / CONFIG_NAME).exists():
        return open_workspace(path)
    return init_workspace(path)
