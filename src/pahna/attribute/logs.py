"""Attribution of access-log records: who served each request, for which content item,
to which class of client, and whether it counts.

A record is counted when it was written at the edge (`tier` edge: origin and shield
logs are kept, never paid) and its client is not automated (`agents`); it goes to the
holder of the most specific host (and path) claim valid at its time (`hosts`), with the
claim's content item; its class is that of its client address under the domestic list
in force then (the same rule as a flow's destination); its 5-minute bin is the one its
time falls in (a request is an instant: no spreading).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from pahna.attribute.agents import AgentClassifier
from pahna.attribute.domestic import DomesticIndex
from pahna.attribute.hosts import HostIndex
from pahna.schema import BIN_MS


@dataclass(frozen=True)
class RequestAttribution:
    """Per record: owner index (-1 none), content index (-1 none), traffic class index,
    bin start, and the exclusion reason index (-1 counted) into `reasons`."""

    owner: np.ndarray
    content: np.ndarray
    klass: np.ndarray
    bins: np.ndarray
    excluded: np.ndarray
    reasons: list[str]


def attribute_requests(batch: pa.RecordBatch, hosts: HostIndex | None,
                       domestic: DomesticIndex, agents: AgentClassifier | None
                       ) -> RequestAttribution:
    times = batch.column("time_ms").to_numpy(zero_copy_only=False).astype(np.int64)
    n = len(times)
    if hosts is not None:
        owner, content = hosts.lookup(batch.column("host"), times, batch.column("path"))
    else:
        owner, content = np.full(n, -1, np.int32), np.full(n, -1, np.int32)
    klass = domestic.classify(batch.column("client_addr"), times)
    excluded, reasons = (agents.classify(batch.column("user_agent")) if agents is not None
                         else (np.full(n, -1, np.int32), []))
    return RequestAttribution(owner, content, klass, times // BIN_MS * BIN_MS, excluded,
                              reasons)
