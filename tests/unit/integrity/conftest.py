"""A small hand-made month for integrity: three producers, one hosting network, and
flows whose every signal is worked out by hand in the tests."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tests.flowgen import Flow, flow_table

from pahna.aggregate.kernel import Rules
from pahna.aggregate.queries import GROUP_KEYS, UsageQuery
from pahna.aggregate.signals import SignalRules
from pahna.attribute.hosting import HostingIndex
from pahna.calendar import JalaliMonth
from pahna.integrity.hosting import HostingVersion
from pahna.parties import Producer
from pahna.registry.rules import rules_from_snapshot

PERIOD = "1404-08"
MONTH = JalaliMonth.parse(PERIOD)
T = MONTH.start_ms + 3_600_000  # 01:00 UTC on the first day: one 5-minute bin
QUERY = UsageQuery(PERIOD, MONTH.start_ms, MONTH.end_ms, GROUP_KEYS)
PRODUCERS = [Producer("alpha", "Alpha", "آلفا", "IR-25", "public_centre"),
             Producer("beta", "Beta", "بتا", "IR-23", "public_centre"),
             Producer("gamma", "Gamma", "گاما", "IR-10", "private_company")]
SNAPSHOT = {"format": 1, "window_ms": None, "metering": [], "domestic": [],
            "claims": [["alpha", "prefix", "10.1.0.0/16", 0, None],
                       ["beta", "prefix", "10.2.0.0/16", 0, None],
                       ["gamma", "prefix", "10.3.0.0/16", 0, None]]}
HOSTING = (HostingVersion(1, 0, None, ("203.0.113.0/24",), ()),)

FLOWS = [
    Flow("10.1.0.1", "2.176.1.5", 1000, T),        # alpha: an audience network, twice
    Flow("10.1.0.1", "2.176.1.9", 1000, T),
    Flow("10.1.0.2", "5.112.3.4", 1000, T, sampling_rate=2),  # 2,000 once scaled
    Flow("10.1.0.1", "10.1.9.9", 500, T),          # to itself
    Flow("10.1.0.1", "10.2.0.7", 300, T),          # to beta
    Flow("10.1.0.1", "203.0.113.10", 200, T),      # to a hosting client
    Flow("10.1.0.1", "198.51.100.1", 100, T),      # one size to one network, 3 times
    Flow("10.1.0.1", "198.51.100.2", 100, T),
    Flow("10.1.0.1", "198.51.100.3", 100, T),
    Flow("10.2.0.1", "10.1.0.1", 150, T),          # beta to alpha
    Flow("10.2.0.1", "2.176.2.1", 850, T),
    Flow("10.3.0.1", "2.176.3.1", 400, T),         # gamma: one size twice only
    Flow("10.3.0.1", "2.176.3.2", 400, T),
    Flow("151.232.0.1", "2.176.1.1", 999, T),      # nobody's
]


def rules() -> Rules:
    return rules_from_snapshot(SNAPSHOT)


def signal_rules() -> SignalRules:
    return SignalRules(rules(), HostingIndex(HOSTING))


def write_flows(folder: Path, flows: list[Flow], parts: int = 1) -> list[Path]:
    """The flows in `parts` Parquet files (round robin)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for part in range(parts):
        table: pa.Table = flow_table(flows[part::parts])
        path = folder / f"part-{part}.parquet"
        pq.write_table(table, path)
        paths.append(path)
    return paths


@pytest.fixture
def month_files(tmp_path: Path) -> list[Path]:
    return write_flows(tmp_path / "flows", FLOWS)
