"""Write a generated month into a workspace's store, chunk by chunk, exactly once.

Each chunk is committed as its own batch, named by a content hash of what defines it
(seed, period, total flows, chunk), so running the same command twice stores nothing
new, and memory stays bounded by one chunk whatever the month's size.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pahna.bench.flows import Chunk, Population, generate_chunk, plan_chunks
from pahna.bench.inflation import Injection, injected_flows
from pahna.calendar import JalaliMonth
from pahna.store.writer import is_stored, write_batch
from pahna.workspace import Workspace

DEFAULT_CHUNK_ROWS = 1_000_000


@dataclass(frozen=True)
class MonthReport:
    period: str
    flows: int
    chunks: int
    written: int  # chunks committed by this run (the others were already stored)
    files: int
    injected: int = 0  # flow records the injections added


def chunk_hash(seed: int, period: str, flows: int, chunk: Chunk) -> str:
    text = f"pahna-bench:{seed}:{period}:{flows}:{chunk.day}:{chunk.part}:{chunk.flows}"
    return hashlib.sha256(text.encode()).hexdigest()


def write_month(workspace: Workspace, period: str, flows: int, seed: int = 1404,
                chunk_rows: int = DEFAULT_CHUNK_ROWS,
                on_chunk: Callable[[Chunk], None] | None = None,
                injections: Sequence[Injection] = ()) -> MonthReport:
    """Generate `flows` flow records over the Jalali month and commit them to the store;
    each injection (bench.inflation) is committed as a batch of its own."""
    month = JalaliMonth.parse(period)
    population = Population.build(seed)
    chunks = plan_chunks(month, flows, chunk_rows, seed)
    written = files = 0
    for chunk in chunks:
        digest = chunk_hash(seed, str(month), flows, chunk)
        if chunk.flows and not is_stored(workspace.store_dir, digest):
            table = generate_chunk(month, chunk, population, seed, digest[:24])
            manifest = write_batch(workspace.store_dir, table, f"bench://{seed}/{chunk.day}/"
                                   f"{chunk.part}", digest)
            written += 1
            files += len(manifest.files) if manifest else 0
        if on_chunk:
            on_chunk(chunk)
    injected = 0
    for injection in injections:
        digest = injection.digest(seed, str(month), flows)
        table = injected_flows(month, injection, population, flows, seed)
        injected += table.num_rows
        if table.num_rows and not is_stored(workspace.store_dir, digest):
            write_batch(workspace.store_dir, table, f"bench-inject://{injection.scenario}",
                        digest)
    return MonthReport(str(month), flows, len(chunks), written, files, injected)
