"""Traffic the bench month lacks, added to a bench workspace for the engines-agree tests:
clients uploading to producers, producers sending to each other (inside and across
provinces), producers known only by AS number (sending, and receiving by dst_as), and
a producer with metering points seeing flows at every exporter, interface and direction
(known and unknown), so received-side attribution, metering points and AS claims all
weigh on the settlement."""

from __future__ import annotations

import ipaddress

import numpy as np
import pyarrow as pa

from pahna.bench.flows import addresses_in
from pahna.bench.scenario import CLIENTS, EXPORTERS, source_networks
from pahna.calendar import JalaliMonth
from pahna.demo.scenario import UNCLAIMED_SOURCES
from pahna.intake.records import binary16_array
from pahna.parties import Producer
from pahna.registry.claimbook import ClaimSpec
from pahna.registry.claims import add_claims
from pahna.registry.database import open_registry
from pahna.registry.metering import MeteringPoint, add_point
from pahna.registry.producers import add_producer
from pahna.schema import FLOW_SCHEMA, address_to_bytes
from pahna.store.writer import write_batch
from pahna.workspace import Workspace

AS_SENDER, AS_RECEIVER = ("as-cdn", 64600), ("as-host", 64601)
METERED = "qom-univ"
POINTS = (("10.0.0.1", 10, "ingress"), ("10.0.0.2", 20, "egress"), ("10.0.0.3", 11, "egress"))


def add_registry(workspace: Workspace, period: str) -> None:
    """Two producers known by AS number, and metering points for METERED from the
    month's fifth day (so some of its flows fall outside their validity)."""
    engine = open_registry(workspace.registry_url)
    month = JalaliMonth.parse(period)
    since = month.start_ms - 400 * 86_400_000
    for (pid, asn), province in ((AS_SENDER, "IR-25"), (AS_RECEIVER, "IR-23")):
        add_producer(engine, Producer(pid, pid, pid, province, "private_company"), "test")
        add_claims(engine, [ClaimSpec(pid, "asn", str(asn), since)], actor="test")
    for exporter, interface, direction in POINTS:
        add_point(engine, MeteringPoint(METERED, exporter, interface, direction,
                                        month.start_ms + 5 * 86_400_000), "test")


def _pick(nets: list[ipaddress.IPv4Network | ipaddress.IPv6Network], n: int,
          rng: np.random.Generator, v6: np.ndarray) -> np.ndarray:
    """(n, 16) addresses from `nets`, of the family v6 says per row."""
    out = np.zeros((n, 16), np.uint8)
    for want in (False, True):
        rows = np.flatnonzero(v6 == want)
        pool = [net for net in nets if (net.version == 6) == want]
        out[rows] = addresses_in(pool, rng.integers(0, len(pool), len(rows)), rng)
    return out


def exchange_flows(period: str, n: int, seed: int) -> pa.Table:
    """`n` flows of the kinds above, over the month."""
    rng = np.random.default_rng(seed)
    month = JalaliMonth.parse(period)
    producers = [net for net, pid in source_networks() if pid != "unclaimed"]
    metered = [net for net, pid in source_networks() if pid == METERED]
    clients = [ipaddress.ip_network(net) for net, _ in CLIENTS]
    unclaimed = [ipaddress.ip_network(net) for net in UNCLAIMED_SOURCES]
    v6 = rng.random(n) < 0.3
    kind = rng.integers(0, 5, n)  # upload, exchange, AS sender, AS receiver, metered
    src = _pick(clients, n, rng, v6)
    dst = _pick(producers, n, rng, v6)
    src[kind == 1] = _pick(producers, n, rng, v6)[kind == 1]
    src[kind == 2] = _pick(unclaimed, n, rng, v6)[kind == 2]
    dst[kind == 2] = _pick(clients, n, rng, v6)[kind == 2]
    dst[kind == 3] = _pick(unclaimed, n, rng, v6)[kind == 3]
    both = rng.random(n) < 0.5  # the metered producer sends or receives
    src[(kind == 4) & both] = _pick(metered, n, rng, v6)[(kind == 4) & both]
    dst[(kind == 4) & ~both] = _pick(metered, n, rng, v6)[(kind == 4) & ~both]
    dst[(kind == 4) & both] = _pick(clients, n, rng, v6)[(kind == 4) & both]
    start = month.start_ms - 3_600_000 + rng.integers(0, month.end_ms - month.start_ms, n)
    exporter = rng.integers(0, len(EXPORTERS), n)
    exporters = np.array([np.frombuffer(address_to_bytes(e.address), np.uint8)
                          for e in EXPORTERS])
    size = rng.integers(64, 50_000_000, n).astype(np.uint64)
    columns = {
        "exporter": binary16_array(exporters[exporter]),
        "observation_domain": np.ones(n, np.uint32),
        "src_addr": binary16_array(src), "dst_addr": binary16_array(dst),
        "src_port": rng.integers(1024, 65535, n).astype(np.uint16),
        "dst_port": np.full(n, 443, np.uint16), "protocol": np.full(n, 6, np.uint8),
        "bytes": size, "packets": size // 1200 + 1,
        "start_ms": start, "end_ms": start + rng.integers(0, 1_200_000, n),
        "sampling_rate": np.array([e.sampling_rate for e in EXPORTERS], np.uint32)[exporter],
        "input_if": rng.choice([10, 11, 20], n).astype(np.uint32),
        "output_if": rng.choice([10, 11, 20], n).astype(np.uint32),
        "direction": rng.choice([0, 1, 255], n).astype(np.uint8),
        "src_as": np.where(kind == 2, AS_SENDER[1], 0).astype(np.uint32),
        "dst_as": np.where(kind == 3, AS_RECEIVER[1], 0).astype(np.uint32),
        "batch_id": pa.repeat(pa.scalar(f"exchange-{seed}", pa.string()), n),
    }
    arrays = [v if isinstance(v, pa.Array) else pa.array(v, FLOW_SCHEMA.field(k).type)
              for k, v in columns.items()]
    table = pa.Table.from_arrays(arrays, schema=FLOW_SCHEMA)
    return table.take(np.argsort(start, kind="stable"))


def add_exchange(workspace: Workspace, period: str, n: int = 4000, seed: int = 16) -> None:
    """The registry entries and one committed batch of exchange flows."""
    add_registry(workspace, period)
    write_batch(workspace.store_dir, exchange_flows(period, n, seed), f"exchange://{seed}",
                f"{seed:064x}")
