"""Wiring only: intake -> store, store + registry -> aggregate -> settle -> statements.

Every command and the demo go through these functions; none of them holds logic of its
own beyond putting the stages together in order. Intake is committed to the store by
`pahna.store.ingest`; the settlement half (drafts, finals, verify, explain, payments) is
wired in `pahna.settlement`, `pahna.verification` and `pahna.payouts`. The functions
callers use are re-exported here.
"""

from __future__ import annotations

from pahna.aggregate.kernel import Rules
from pahna.attribute.claims import ClaimIndex, TimedPrefix
from pahna.payouts import producer_ibans
from pahna.registry.database import open_registry
from pahna.registry.producers import prefix_claims
from pahna.registry.rules import load_rules
from pahna.settlement import (
    finalize,
    load_tariffs,
    month_usage,
    month_window,
    period_inputs,
    settle,
    settlement_inputs,
    usage_for_period,
)
from pahna.store.ingest import CAPTURE_BATCH, Ingestor, IngestReport
from pahna.verification import explain, verify
from pahna.workspace import Workspace


def claim_index(workspace: Workspace) -> ClaimIndex:
    engine = open_registry(workspace.registry_url)
    return ClaimIndex.build([
        TimedPrefix(c.producer_id, c.network, c.valid_from_ms, c.valid_to_ms)
        for c in prefix_claims(engine)
    ])


def rules(workspace: Workspace) -> Rules:
    """Claims, metering points and domestic lists from the registry (registry.rules)."""
    return load_rules(open_registry(workspace.registry_url))


__all__ = ["CAPTURE_BATCH", "IngestReport", "Ingestor", "claim_index", "explain", "finalize",
           "load_tariffs", "month_usage", "month_window", "period_inputs", "producer_ibans",
           "rules", "settle", "settlement_inputs", "usage_for_period", "verify"]
