"""`pahna demo`."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from pahna.cli.options import global_home
from pahna.demo.run import DemoResult, run_demo


@click.command()
@click.option("--home", type=click.Path(file_okay=False), default=None,
              callback=global_home, help="Folder for the demo workspace (default: pahna "
              "--home, else ./pahna-demo; an earlier demo there is replaced, any other "
              "workspace is left alone).")
@click.option("--flows", type=click.IntRange(20_000, 50_000_000), default=300_000,
              show_default=True, help="Flow records in the demo month.")
def demo(home: str | None, flows: int) -> None:
    """Build a demo workspace and settle a month of IPFIX traffic end to end.

    About thirty producers in several provinces (Qom among them) claim IPv4 and IPv6
    prefixes; an exporter sends a compressed Jalali month (1404-08) of traffic with a
    daily cycle as real IPFIX datagrams to the collector on 127.0.0.1; the flows are
    stored in Parquet, attributed by longest-prefix match, aggregated with DuckDB and
    settled under a per-GB tariff with a fixed budget pool.
    """
    console = Console()
    result = run_demo(Path(home or "pahna-demo").resolve(), flows, console)
    console.print(summary_table(result))
    folder = result.workspace.statements_dir(result.settlement.period)
    console.print(f"Statements (CSV and HTML per producer, summary.csv): {folder}")


def summary_table(result: DemoResult) -> Table:
    s = result.settlement
    table = Table(title=f"Settlement {s.period} — tariff {s.tariff_id} v{s.tariff_version}, "
                  f"pool {s.pool_rial:,} rials")
    for name, justify in (("producer", "left"), ("province", "left"), ("domestic GB", "right"),
                          ("international GB", "right"), ("rials", "right")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for line in sorted(s.lines, key=lambda ln: -ln.amount_rial):
        note = "" if line.eligible else " (not eligible)"
        table.add_row(line.producer_id, line.province, f"{line.domestic_bytes / 1e9:,.3f}",
                      f"{line.international_bytes / 1e9:,.3f}", f"{line.amount_rial:,}{note}")
    table.add_section()
    table.add_row("total", "", f"{sum(ln.domestic_bytes for ln in s.lines) / 1e9:,.3f}",
                  f"{sum(ln.international_bytes for ln in s.lines) / 1e9:,.3f}",
                  f"{s.total_rial:,}")
    table.caption = (f"Not eligible: sent less than 10 times what it received (10:1). "
                     f"Unattributed: {result.unattributed_bytes / 1e9:,.3f} GB.")
    return table
