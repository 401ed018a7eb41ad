"""The kernel over a stream of batches in a few threads, in order.

The kernel's work is NumPy and pyarrow calls over whole columns, most of which release
the interpreter lock, so two threads on two cores do nearly twice the work of one. The
scan (DuckDB reading Parquet) keeps feeding batches in the caller's thread; at most
`threads + 1` batches are in flight, so memory stays a few batches whatever the month's
size (it grows with the threads: `[aggregate] threads` bounds it). Results come back in
the order of the batches, so what is summed from them does not depend on which thread
finished first.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

Batch = TypeVar("Batch")
Result = TypeVar("Result")


def kernel_threads(configured: int) -> int:
    """Threads to run the kernel in: `configured`, or one per core this process may run
    on (its CPU affinity, not the host's count) when 0. Each thread holds a batch of
    about a million flows in flight, outside DuckDB's memory limit."""
    return configured if configured > 0 else max(len(os.sched_getaffinity(0)), 1)


def map_batches(work: Callable[[Batch], Result], batches: Iterable[Batch], threads: int
                ) -> Iterator[Result]:
    """`work` over every batch, in `threads` threads (1: in this one), results in order.
    An exception in `work` is raised here, at its batch's turn; batches still in flight
    are finished before the generator closes."""
    if threads <= 1:
        yield from map(work, batches)
        return
    with ThreadPoolExecutor(threads, thread_name_prefix="pahna-kernel") as pool:
        pending: deque[Future[Result]] = deque()
        try:
            for batch in batches:
                pending.append(pool.submit(work, batch))
                if len(pending) > threads:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()
