"""Generate a month of flows with a realistic daily cycle, vectorized with NumPy."""

from __future__ import annotations

import ipaddress

import numpy as np
import pyarrow as pa

from pahna.bench.flows import ServedFlows, addresses_in, daily_cycle, served_flows
from pahna.calendar import JalaliMonth
from pahna.demo.scenario import UNCLAIMED_SOURCES, DemoProducer
from pahna.schema import address_to_bytes

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS


def generate_month(producers: list[DemoProducer], period: str, flows: int,
                   seed: int = 1404) -> pa.Table:
    """`flows` flow records served by the producers (and 5% by nobody) over the month."""
    rng = np.random.default_rng(seed)
    month = JalaliMonth.parse(period)
    networks = [net for p in producers for net in p.prefixes]
    networks += [ipaddress.ip_network(n) for n in UNCLAIMED_SOURCES]
    popularity = 1.0 / np.arange(1, len(networks) + 1) ** 0.9
    rng.shuffle(popularity)
    popularity[-len(UNCLAIMED_SOURCES):] = popularity.sum() * 0.05 / len(UNCLAIMED_SOURCES)
    choice = rng.choice(len(networks), size=flows, p=popularity / popularity.sum())
    src = addresses_in(networks, choice, rng)
    clients = [ipaddress.ip_network("2.176.0.0/12"), ipaddress.ip_network("5.112.0.0/12"),
               ipaddress.ip_network("93.184.0.0/16"), ipaddress.ip_network("2a01:5ec0::/32")]
    dst = addresses_in(clients, rng.choice(len(clients), size=flows, p=[.45, .35, .1, .1]), rng)
    v6_src = np.array([n.version == 6 for n in networks])[choice]
    v4_dst = np.all(dst[:, :12] == np.frombuffer(address_to_bytes("0.0.0.0")[:12], np.uint8),
                    axis=1)
    # keep address families consistent within a flow
    dst[v6_src & v4_dst] = addresses_in([clients[3]], np.zeros(int((v6_src & v4_dst).sum()),
                                                                int), rng)
    dst[~v6_src & ~v4_dst] = addresses_in([clients[0]], np.zeros(int((~v6_src & ~v4_dst).sum()),
                                                                  int), rng)
    day = rng.integers(0, month.days, size=flows)
    hour = rng.choice(24, size=flows, p=daily_cycle())
    start = month.start_ms + day * DAY_MS + hour * HOUR_MS + rng.integers(0, HOUR_MS, flows)
    duration = np.minimum(rng.exponential(45_000, flows).astype(np.int64), 1_800_000)
    size = np.maximum(rng.lognormal(13.0, 1.6, flows).astype(np.uint64), 64)
    order = np.argsort(start + duration, kind="stable")
    exporter = np.frombuffer(address_to_bytes("127.0.0.1"), np.uint8)
    return served_flows(
        ServedFlows(np.tile(exporter, (flows, 1)), np.ones(flows, np.uint32), src[order],
                    dst[order], start[order], (start + duration)[order], size[order],
                    np.ones(flows, np.uint32)),
        "", rng)
