"""Write a generated month into a workspace's store, chunk by chunk, exactly once.

Each chunk is committed as its own batch, named by a content hash of what defines it
(seed, period, total flows, chunk), so running the same command twice stores nothing
new, and memory stays bounded by one chunk whatever the month's size.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pahna.bench.flows import Chunk, Population, generate_chunk, plan_chunks
from pahna.bench.inflation import Injection, injected_flows
from pahna.calendar import JalaliMonth
from pahna.registry.database import open_registry
from pahna.registry.rules import rules_from_snapshot, rules_snapshot
from pahna.settlement import month_manifests, month_usage, month_window
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
    digests = set()
    for chunk in chunks:
        digest = chunk_hash(seed, str(month), flows, chunk)
        digests.add(digest)
        if chunk.flows and not is_stored(workspace.store_dir, digest):
            table = generate_chunk(month, chunk, population, seed, digest[:24])
            manifest = write_batch(workspace.store_dir, table, f"bench://{seed}/{chunk.day}/"
                                   f"{chunk.part}", digest)
            written += 1
            files += len(manifest.files) if manifest else 0
        if on_chunk:
            on_chunk(chunk)
    injected = 0
    real = month_flows(workspace, period, [
        workspace.store_dir / f.path for m in month_manifests(workspace, period)
        if m.content_hash in digests for f in m.files]) if injections else {}
    for injection in injections:
        digest = injection.digest(seed, str(month), flows)
        table = injected_flows(month, injection, population, flows, seed, real)
        injected += table.num_rows
        if table.num_rows and not is_stored(workspace.store_dir, digest):
            write_batch(workspace.store_dir, table, f"bench-inject://{injection.scenario}",
                        digest)
    return MonthReport(str(month), flows, len(chunks), written, files, injected)


def month_flows(workspace: Workspace, period: str, files: list[Path]) -> dict[str, int]:
    """Flow records attribution gives each producer in the month from `files`, under the
    registry's claims as they hold in the month (nested and time-limited ones included:
    the most specific claim in force at a flow's start wins), as `usage` counts them:
    the real traffic an injection's share is of."""
    month = JalaliMonth.parse(period)
    rules = rules_from_snapshot(rules_snapshot(open_registry(workspace.registry_url),
                                               month_window(month)))
    usage = month_usage(workspace, period, files, rules)
    return {pid: int(n) for pid, n in zip(usage["producer_id"].to_pylist(),
                                          usage["flows"].to_pylist(), strict=True)
            if pid is not None and n}
