"""`pahna collect --workers N`: N receiving processes on the same addresses.

Each worker is a whole `pahna collect` (receive path, spool, flusher, decoder state) with
SO_REUSEPORT on its sockets, so the kernel spreads exporters over them by their address
and port: one exporter's datagrams keep going to one worker while the set of workers
stays the same, so its templates are where its data goes. Worker I keeps its spool in
HOME/spool/KEY-wI/ and its state in HOME/state/intake-state-KEY-wI.json. The supervisor
says "listening" once every worker is bound, passes SIGINT/SIGTERM on, prints the
workers' counters summed per exporter, and exits non-zero if any worker did.
"""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import click

from pahna.ops.logs import log

LOG = logging.getLogger("pahna.collect")


def supervise(home: Path, listening: list[str], count: int, metrics: str,
              flush_interval: float | None, duration: float | None) -> None:
    base = [sys.executable, "-m", "pahna", "collect", "--home", str(home)]
    base += [f"--listen={address}" for address in listening]
    if metrics:
        base += ["--metrics", metrics]
    if flush_interval is not None:
        base += ["--flush-interval", str(flush_interval)]
    if duration is not None:
        base += ["--duration", str(duration)]
    workers = [subprocess.Popen([*base, "--worker", f"{i}/{count}"], stdout=subprocess.PIPE,
                                text=True, start_new_session=True) for i in range(count)]

    def forward(number: int, _: object) -> None:
        for worker in workers:
            worker.send_signal(number)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, forward)
    ready = all(w.stdout is not None and w.stdout.readline().strip() == "ready"
                for w in workers)
    if ready:
        log(LOG, logging.INFO, "listening",
            f"listening on {', '.join(listening)} with {count} workers", workers=count)
    outputs = [w.communicate()[0] for w in workers]
    failed = [i for i, w in enumerate(workers) if w.returncode != 0]
    click.echo(json.dumps(merge_counters([_counters(text) for text in outputs]), indent=1))
    if failed or not ready:
        log(LOG, logging.ERROR, "workers_failed",
            f"pahna collect: worker(s) {failed or 'all'} failed")
        raise SystemExit(1)


def _counters(text: str) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def merge_counters(parts: list[dict[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Per-exporter counters of several workers, summed (errors by reason too)."""
    out: dict[str, dict[str, Any]] = {}
    for part in parts:
        for exporter, values in part.items():
            mine = out.setdefault(exporter, {})
            for name, value in values.items():
                if isinstance(value, dict):
                    mine[name] = dict(Counter(mine.get(name, {})) + Counter(value))
                else:
                    mine[name] = mine.get(name, 0) + value
    return dict(sorted(out.items()))
