"""Flow records for a bench month, one chunk at a time, vectorized with NumPy.

The month is split into chunks (a day, or part of a busy day) so that any number of
flows can be written with memory bounded by the chunk size. Each chunk draws from its
own seeded generator, so a chunk is the same whatever else is generated with it.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from pahna.bench.scenario import (
    CLIENTS,
    EXPORTERS,
    NESTED_CLAIMS,
    Network,
    claim_window,
    source_networks,
)
from pahna.calendar import JalaliMonth
from pahna.intake.records import binary16_array
from pahna.schema import FLOW_SCHEMA, address_to_bytes

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
TEHRAN_OFFSET_MS = 12_600_000  # UTC+03:30: the daily cycle is in local hours
SPILL_SHARE = 0.002
"""Share of flows that start before the month (the day before) and may reach into it."""
HANDOVER_SLACK_MS = HOUR_MS
"""A nested claim's addresses still serve flows this long either side of the claim, so
that owners change in the middle of a bin."""
PACKET_BYTES = 40
"""The least a sampled flow record can say it saw: one packet's headers."""


@dataclass(frozen=True)
class Chunk:
    day: int  # days into the month; -1 is the day before it
    part: int
    flows: int


def plan_chunks(month: JalaliMonth, flows: int, chunk_rows: int, seed: int) -> list[Chunk]:
    """Split `flows` over the month's days (weekends lighter), in chunks of <= chunk_rows."""
    rng = np.random.default_rng([seed, 0])
    weekday = (np.arange(month.days) + rng.integers(0, 7)) % 7
    weights = np.where(weekday == 6, 0.8, 1.0) * rng.uniform(0.9, 1.1, month.days)
    weights = np.concatenate([[weights.sum() * SPILL_SHARE], weights])
    counts = rng.multinomial(flows, weights / weights.sum())
    out = []
    for day, count in enumerate(counts, start=-1):
        parts = -(-int(count) // chunk_rows)
        out += [Chunk(day, part, int(n)) for part, n in
                enumerate(np.diff(np.linspace(0, count, parts + 1).astype(np.int64)))]
    return out


@dataclass(frozen=True)
class Population:
    """Where flows come from and go to, with fixed popularity."""

    sources: list[Network]
    source_weights: np.ndarray
    clients: list[Network]
    client_weights: np.ndarray

    @classmethod
    def build(cls, seed: int) -> Population:
        rng = np.random.default_rng([seed, 1])
        sources = [net for net, _ in source_networks()]
        weights = 1.0 / np.arange(1, len(sources) + 1) ** 0.8
        rng.shuffle(weights)
        clients = [ipaddress.ip_network(net) for net, _ in CLIENTS]
        return cls(sources, weights / weights.sum(), clients,
                   np.array([share for _, share in CLIENTS]))


def daily_cycle() -> np.ndarray:
    """Share of a day's traffic per Tehran-local hour: low before dawn, peak at 22:00."""
    hours = np.arange(24)
    weight = 1.0 + 0.85 * np.cos(2 * np.pi * (hours - 22) / 24)
    return weight / weight.sum()


def addresses_in(networks: list[Network], choice: np.ndarray,
                 rng: np.random.Generator, sites: bool = False) -> np.ndarray:
    """An (n, 16) matrix of addresses, row i a random host of networks[choice[i]]. With
    `sites`, IPv6 hosts of a network wider than /48 fall in many /48s (one per customer
    site, as ISPs assign them), not all in the first."""
    out = np.zeros((len(choice), 16), dtype=np.uint8)
    for index, net in enumerate(networks):
        rows = np.flatnonzero(choice == index)
        if not len(rows):
            continue
        base = np.frombuffer(address_to_bytes(str(net.network_address)), dtype=np.uint8)
        host_bits = min(net.max_prefixlen - net.prefixlen, 32)
        offsets = rng.integers(0, 2**host_bits, size=len(rows), dtype=np.uint64)
        low = base[12:].view(">u4")[0].astype(np.uint64) + offsets
        out[rows] = base
        out[rows, 12:] = (low & 0xFFFFFFFF).astype(">u4").view(np.uint8).reshape(-1, 4)
        if sites and net.version == 6 and net.prefixlen < 48:
            out[rows, 4:6] |= _site(offsets, 48 - max(net.prefixlen, 32))
    return out


def _site(offsets: np.ndarray, bits: int) -> np.ndarray:
    """Site bits (bytes 4-5 of an IPv6 address) mixed from the host offsets (Fibonacci
    hashing), so drawing them takes nothing more from the generator."""
    mixed = (offsets.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(48)
    value = (mixed & np.uint64((1 << bits) - 1)).astype(">u2")
    return value.view(np.uint8).reshape(-1, 2)


def _destinations(population: Population, v6: np.ndarray, rng: np.random.Generator
                  ) -> np.ndarray:
    """Client addresses of the same family as each flow's source."""
    choice = np.empty(len(v6), dtype=np.int64)
    families = np.array([net.version == 6 for net in population.clients])
    for want in (False, True):
        rows = np.flatnonzero(v6 == want)
        candidates = np.flatnonzero(families == want)
        p = population.client_weights[candidates]
        choice[rows] = candidates[rng.choice(len(candidates), len(rows), p=p / p.sum())]
    return addresses_in(population.clients, choice, rng, sites=True)


def _times(month: JalaliMonth, chunk: Chunk, rng: np.random.Generator
           ) -> tuple[np.ndarray, np.ndarray]:
    """Start and end ms: a Tehran daily cycle; most flows short, some hours long."""
    n = chunk.flows
    if chunk.day < 0:  # the evening before the month: long flows, some reaching into it
        start = month.start_ms - rng.integers(1, 3 * HOUR_MS, n)
        return start, start + rng.integers(0, 4 * HOUR_MS, n)
    hour = rng.choice(24, size=n, p=daily_cycle())
    start = (month.start_ms + chunk.day * DAY_MS + hour * HOUR_MS
             + rng.integers(0, HOUR_MS, n))
    duration = np.minimum(rng.exponential(45_000, n).astype(np.int64), 1_800_000)
    long = rng.random(n) < 0.03
    duration[long] = rng.integers(1_800_000, 3 * HOUR_MS, int(long.sum()))
    duration[rng.random(n) < 0.01] = 0
    return start, start + duration


def generate_chunk(month: JalaliMonth, chunk: Chunk, population: Population, seed: int,
                   batch_id: str) -> pa.Table:
    """The chunk's flow records, in the store's schema, sorted by start."""
    rng = np.random.default_rng([seed, 2, chunk.day + 1, chunk.part])
    n = chunk.flows
    choice = rng.choice(len(population.sources), n, p=population.source_weights)
    src = addresses_in(population.sources, choice, rng)
    v6 = np.array([net.version == 6 for net in population.sources])[choice]
    dst = _destinations(population, v6, rng)
    start, end = _while_claimed(month, population, choice, *_times(month, chunk, rng))
    exporter = rng.choice(len(EXPORTERS), n, p=[e.share for e in EXPORTERS])
    size = np.maximum(rng.lognormal(11.0, 1.6, n), 64).astype(np.uint64)
    order = np.argsort(start, kind="stable")
    exporter_bytes = np.array([np.frombuffer(address_to_bytes(e.address), np.uint8)
                               for e in EXPORTERS])
    sampling = np.array([e.sampling_rate for e in EXPORTERS], np.uint32)[exporter[order]]
    size = sampled_bytes(size[order], sampling)
    return served_flows(
        ServedFlows(exporter_bytes[exporter[order]], exporter[order].astype(np.uint32) + 1,
                    src[order], dst[order], start[order], end[order], size, sampling),
        batch_id, rng)


def sampled_bytes(size: np.ndarray, sampling: np.ndarray) -> np.ndarray:
    """What a record of a flow of `size` bytes says under 1:N sampling: about size / N
    (at least a packet's headers), so that scaled back by N it is about the flow again,
    not N flows' worth."""
    rate = np.maximum(sampling.astype(np.uint64), 1)
    return np.where(rate > 1, np.maximum(size // rate, PACKET_BYTES), size).astype(np.uint64)


def _while_claimed(month: JalaliMonth, population: Population, choice: np.ndarray,
                   start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flows from a nested, time-limited claim's addresses moved (whole days) into the
    time the claim holds: a producer serves from addresses it holds, so the enclosing
    producer does not see the block's traffic before and after (a step no audience
    made). Flows within HANDOVER_SLACK_MS of the claim's edges stay where they are.
    A moved flow goes to a day of the claim's whole days picked by its second of start
    (modulo their number): spread evenly, so the nested producer sees no step of its
    own (moving day d to day d mod n piled the days outside onto the claim's first
    days, doubling them)."""
    start, end = start.copy(), end.copy()
    for claim in NESTED_CLAIMS:
        begin, until = claim_window(month, claim)
        rows = np.flatnonzero((choice == population.sources.index(claim.network_object))
                              & ((start < begin - HANDOVER_SLACK_MS)
                                 | (start >= until + HANDOVER_SLACK_MS)))
        first = -(-(begin - month.start_ms) // DAY_MS)
        days = (until - month.start_ms) // DAY_MS - first
        if not len(rows) or days < 1:
            continue
        day = (start[rows] - month.start_ms) // DAY_MS
        shift = (first + (start[rows] // 1000) % days - day) * DAY_MS
        start[rows] += shift
        end[rows] += shift
    return start, end


@dataclass(frozen=True)
class ServedFlows:
    """Per-flow arrays, already in output order, of traffic served to clients."""

    exporters: np.ndarray  # (n, 16) uint8
    domains: np.ndarray
    src: np.ndarray  # (n, 16) uint8
    dst: np.ndarray  # (n, 16) uint8
    start_ms: np.ndarray
    end_ms: np.ndarray
    bytes: np.ndarray
    sampling_rate: np.ndarray


def served_flows(flows: ServedFlows, batch_id: str, rng: np.random.Generator) -> pa.Table:
    """A flow table for `flows`; ports and protocol are drawn from `rng` as web and
    streaming servers would use them, packets from the size."""
    n = len(flows.start_ms)
    columns = {
        "exporter": binary16_array(flows.exporters),
        "observation_domain": flows.domains.astype(np.uint32),
        "src_addr": binary16_array(flows.src),
        "dst_addr": binary16_array(flows.dst),
        "src_port": rng.choice([443, 80, 8443, 1935], size=n).astype(np.uint16),
        "dst_port": rng.integers(1024, 65535, n).astype(np.uint16),
        "protocol": rng.choice([6, 17], size=n, p=[0.85, 0.15]).astype(np.uint8),
        "bytes": flows.bytes,
        "packets": (flows.bytes // 1200 + 1).astype(np.uint64),
        "start_ms": flows.start_ms,
        "end_ms": flows.end_ms,
        "sampling_rate": flows.sampling_rate.astype(np.uint32),
        "input_if": np.full(n, 10, np.uint32),
        "output_if": np.full(n, 20, np.uint32),
        "direction": np.ones(n, np.uint8),
        "src_as": np.zeros(n, np.uint32),
        "dst_as": np.zeros(n, np.uint32),
        "batch_id": pa.repeat(pa.scalar(batch_id, pa.string()), n),
    }
    arrays = [v if isinstance(v, pa.Array) else pa.array(v, FLOW_SCHEMA.field(k).type)
              for k, v in columns.items()]
    return pa.Table.from_arrays(arrays, schema=FLOW_SCHEMA)
