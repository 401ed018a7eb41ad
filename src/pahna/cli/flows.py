"""`pahna flows export`: stored flow records, with readable addresses, as CSV or JSON lines."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import click
import pyarrow as pa

from pahna.cli.options import home_option, workspace_from
from pahna.errors import ConfigError
from pahna.schema import FLOW_COLUMNS, address_to_text
from pahna.store.reader import EARLIEST_MS, LATEST_MS, iter_flows

ADDRESS_COLUMNS = ("exporter", "src_addr", "dst_addr")


def parse_instant(text: str | None, default: int) -> int:
    """UTC epoch milliseconds from an ISO date/time (UTC unless it says otherwise) or
    from a number of milliseconds."""
    if text is None:
        return default
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        when = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ConfigError(f"{text!r}: expected an ISO date/time or epoch milliseconds") from exc
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp() * 1000)


def readable_rows(batch: pa.RecordBatch) -> Iterator[dict[str, Any]]:
    """Rows of a flow batch with addresses as text."""
    columns = batch.to_pydict()
    for name in ADDRESS_COLUMNS:
        columns[name] = [address_to_text(raw) for raw in columns[name]]
    for index in range(batch.num_rows):
        yield {name: columns[name][index] for name in FLOW_COLUMNS}


@click.group()
def flows() -> None:
    """Look at the flow records in the store."""


@flows.command("export")
@click.option("--from", "start", default=None, help="First start time (ISO, UTC) or epoch ms.")
@click.option("--to", "end", default=None, help="End (exclusive) as ISO (UTC) or epoch ms.")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv",
              show_default=True)
@home_option
def export(start: str | None, end: str | None, fmt: str, home: str | None) -> None:
    """Print stored flow records whose start falls in [--from, --to)."""
    workspace = workspace_from(home)
    batches = iter_flows(workspace.store_dir, parse_instant(start, EARLIEST_MS),
                         parse_instant(end, LATEST_MS))
    out = sys.stdout
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=list(FLOW_COLUMNS), lineterminator="\n")
        writer.writeheader()
        for batch in batches:
            writer.writerows(readable_rows(batch))
    else:
        for batch in batches:
            for row in readable_rows(batch):
                out.write(json.dumps(row) + "\n")
    out.flush()
