"""Generate a month of flows with a realistic daily cycle, vectorized with NumPy."""

from __future__ import annotations

import ipaddress

import numpy as np
import pyarrow as pa

from pahna.bench.flows import ServedFlows, addresses_in, daily_cycle, served_flows
from pahna.calendar import JalaliMonth
from pahna.demo.scenario import (
    CLIENTS,
    HEAVY_UPLOAD_SHARE,
    HEAVY_UPLOADER,
    UNCLAIMED_SOURCES,
    UPLOADS,
    DemoProducer,
)
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
    dst = _clients(rng, np.array([n.version == 6 for n in networks])[choice])
    day = rng.integers(0, month.days, size=flows)
    hour = rng.choice(24, size=flows, p=daily_cycle())
    start = month.start_ms + day * DAY_MS + hour * HOUR_MS + rng.integers(0, HOUR_MS, flows)
    duration = np.minimum(rng.exponential(45_000, flows).astype(np.int64), 1_800_000)
    size = np.maximum(rng.lognormal(13.0, 1.6, flows).astype(np.uint64), 64)
    src, dst = _uploads(rng, producers, networks, choice, src, dst)
    order = np.argsort(start + duration, kind="stable")
    exporter = np.frombuffer(address_to_bytes("127.0.0.1"), np.uint8)
    return served_flows(
        ServedFlows(np.tile(exporter, (flows, 1)), np.ones(flows, np.uint32), src[order],
                    dst[order], start[order], (start + duration)[order], size[order],
                    np.ones(flows, np.uint32)),
        "", rng)


def _clients(rng: np.random.Generator, v6_src: np.ndarray) -> np.ndarray:
    """A client address per flow, in the source's family, by the shares of CLIENTS."""
    clients = [ipaddress.ip_network(net) for net, _ in CLIENTS]
    out = np.zeros((len(v6_src), 16), np.uint8)
    for family in (4, 6):
        rows = np.flatnonzero(v6_src == (family == 6))
        ids = [i for i, net in enumerate(clients) if net.version == family]
        shares = np.array([CLIENTS[i][1] for i in ids])
        picked = rng.choice(len(ids), size=len(rows), p=shares / shares.sum())
        out[rows] = addresses_in([clients[i] for i in ids], picked, rng)
    return out


def _uploads(rng: np.random.Generator, producers: list[DemoProducer],
             networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network], choice: np.ndarray,
             src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Turn a share of the flows around (a client sends to the producer): UPLOADS of every
    producer's, HEAVY_UPLOAD_SHARE of the heavy uploader's."""
    heavy = {net for p in producers if p.producer.id == HEAVY_UPLOADER for net in p.prefixes}
    share = np.array([HEAVY_UPLOAD_SHARE if net in heavy else UPLOADS for net in networks])
    turn = rng.random(len(choice)) < share[choice]
    src, dst = src.copy(), dst.copy()
    src[turn], dst[turn] = dst[turn], src[turn].copy()
    return src, dst
