"""The red team: made bytes injected into chosen producers of a bench month, each scheme
at a chosen share of the producer's real traffic. The share is of flow records: a
producer gets round(share x N) extra records, N the flow records attribution gives it
in the month as generated (`bench.month.month_flows`: its own prefixes, and its nested
and time-limited claims where and while they hold; the most specific claim wins), with
sizes drawn as the real ones are (the bytes follow in expectation; thin's are fixed).

    self          the producer downloads its own files from its own addresses
    datacentre    bots in data-centre space (HOSTING_NETWORK) pull from it
    collude       two producers (A+B) serve each other's machines
    flat          a pull spread evenly over every hour of the month, to real client space
    step          real-looking traffic switched on half way through the month
    concentrated  real-looking traffic to three client networks only
    thin          a campaign spread thin over many small producers (A+B+C...): the same
                  few bot networks fetch the same objects from each, a little each

A spec is SCENARIO:PRODUCER[+PRODUCER...]:SHARE, e.g. `flat:qom-tv:0.2`.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from pahna.bench.flows import HOUR_MS, Population, ServedFlows, addresses_in, daily_cycle
from pahna.bench.flows import served_flows as flow_records
from pahna.bench.scenario import Network
from pahna.calendar import JalaliMonth
from pahna.demo.scenario import demo_producers
from pahna.errors import InvalidValueError
from pahna.integrity.versions import hosting_versions, import_hosting
from pahna.schema import address_to_bytes
from pahna.workspace import Workspace

SCENARIOS = ("self", "datacentre", "collude", "flat", "step", "concentrated", "thin")
HOSTING_NETWORK = "198.18.0.0/15"
"""Where the bench's data centres are (a hosting list holds it: `hosting_list`)."""
CONCENTRATED = ("2.176.7.0/24", "5.112.9.0/24", "2.177.30.0/24")
BOTS = ("5.113.40.0/24", "2.180.11.0/24")
THIN_SIZES = (3_145_728, 4_718_592, 6_291_456)
DAY_MS = 24 * HOUR_MS


@dataclass(frozen=True)
class Injection:
    scenario: str
    producers: tuple[str, ...]
    share: float

    @classmethod
    def parse(cls, spec: str) -> Injection:
        parts = spec.split(":")
        if len(parts) != 3 or parts[0] not in SCENARIOS:
            raise InvalidValueError(f"{spec!r}: write SCENARIO:PRODUCER[+PRODUCER]:SHARE, "
                                    f"SCENARIO one of {', '.join(SCENARIOS)}")
        try:
            share = float(parts[2])
        except ValueError as exc:
            raise InvalidValueError(f"{spec!r}: {parts[2]!r} is not a share") from exc
        producers = tuple(parts[1].split("+"))
        if not 0 < share <= 10 or (parts[0] == "collude" and len(producers) != 2):
            raise InvalidValueError(f"{spec!r}: a share in (0, 10]; collude takes two "
                                    "producers, the others one or more")
        return cls(parts[0], producers, share)

    def digest(self, seed: int, period: str, flows: int) -> str:
        text = f"pahna-bench-inject:{seed}:{period}:{flows}:{self}"
        return hashlib.sha256(text.encode()).hexdigest()


def import_bench_hosting(workspace: Workspace, period: str) -> bool:
    """Import the bench's hosting list (in force long before the month) unless the
    workspace has one; True if imported."""
    if hosting_versions(workspace):
        return False
    path = workspace.home / "integrity" / "bench-hosting.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"# pahna bench: data centres\n{HOSTING_NETWORK}\n", encoding="utf-8")
    import_hosting(workspace, [path], JalaliMonth.parse(period).start_ms - 400 * DAY_MS,
                   "bench")
    return True


def _prefix(producer: str) -> Network:
    for item in demo_producers():
        if item.producer.id == producer:
            return item.prefixes[0]
    raise InvalidValueError(f"no bench producer {producer!r}")


def _times(month: JalaliMonth, n: int, rng: np.random.Generator, scenario: str
           ) -> np.ndarray:
    if scenario == "flat":
        return month.start_ms + rng.integers(0, month.end_ms - month.start_ms, n)
    first = month.days // 2 if scenario == "step" else 0
    day = rng.integers(first, month.days, n)
    hour = rng.choice(24, size=n, p=daily_cycle())
    return month.start_ms + day * DAY_MS + hour * HOUR_MS + rng.integers(0, HOUR_MS, n)


def _clients(scenario: str, producer: str, partner: str, n: int, population: Population,
             rng: np.random.Generator) -> np.ndarray:
    fixed = {"self": [str(_prefix(producer))], "datacentre": [HOSTING_NETWORK],
             "concentrated": list(CONCENTRATED), "thin": list(BOTS),
             "collude": [str(_prefix(partner))] if partner else []}
    nets: list[Network] = ([ipaddress.ip_network(text) for text in fixed[scenario]]
                           if scenario in fixed
                           else [c for c in population.clients if c.version == 4])
    return addresses_in(nets, rng.integers(0, len(nets), n), rng)


def injected_flows(month: JalaliMonth, injection: Injection, population: Population,
                   flows: int, seed: int, real: Mapping[str, int]) -> pa.Table:
    """The injection's flow records for the month: round(share x real[producer]) for each
    of its producers, `real` the flow records attribution gives each producer in the
    month as generated (`bench.month.month_flows`; a producer not in it has none)."""
    rng = np.random.default_rng([seed, 9, *injection.digest(seed, str(month), flows).encode()])
    parts: list[tuple[np.ndarray, ...]] = []
    for index, producer in enumerate(injection.producers):
        source = _prefix(producer)
        n = round(injection.share * real.get(producer, 0))
        if n == 0:
            continue
        partner = injection.producers[1 - index] if injection.scenario == "collude" else ""
        src = addresses_in([source], np.zeros(n, np.int64), rng)
        dst = _clients(injection.scenario, producer, partner, n, population, rng)
        start = _times(month, n, rng, injection.scenario)
        size = np.maximum(rng.lognormal(11.0, 1.6, n), 64).astype(np.uint64)
        if injection.scenario == "thin":
            size = np.array(THIN_SIZES, np.uint64)[rng.integers(0, len(THIN_SIZES), n)]
        parts.append((src, dst, start, size))
    return _table(parts, injection)


def _table(parts: list[tuple[np.ndarray, ...]], injection: Injection) -> pa.Table:
    if not parts:
        empty = np.zeros((0, 16), np.uint8)
        parts = [(empty, empty, np.zeros(0, np.int64), np.zeros(0, np.uint64))]
    src, dst, start, size = (np.concatenate([p[i] for p in parts]) for i in range(4))
    order = np.argsort(start, kind="stable")
    n = len(order)
    exporter = np.frombuffer(address_to_bytes("10.0.0.1"), np.uint8)
    rng = np.random.default_rng(len(order))
    return flow_records(ServedFlows(
        np.tile(exporter, (n, 1)), np.ones(n, np.uint32), src[order], dst[order],
        start[order].astype(np.int64), start[order].astype(np.int64) + 20_000,
        size[order].astype(np.uint64), np.ones(n, np.uint32)),
        f"inject-{injection.scenario}", rng)
