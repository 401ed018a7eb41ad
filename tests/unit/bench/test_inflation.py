"""The red team's injections: each scheme looks like what it claims to be, at the chosen
share of the flow records attribution gives the producer in the month."""

from __future__ import annotations

import ipaddress

import numpy as np
import pyarrow as pa
import pytest

from pahna.bench.flows import Population, ServedFlows, served_flows
from pahna.bench.inflation import (
    BOTS,
    CONCENTRATED,
    HOSTING_NETWORK,
    Injection,
    injected_flows,
)
from pahna.bench.month import month_flows, write_month
from pahna.bench.scenario import populate_registry
from pahna.calendar import JalaliMonth
from pahna.errors import InvalidValueError
from pahna.schema import address_to_bytes, address_to_text
from pahna.settlement import month_files, month_manifests
from pahna.store.writer import write_batch
from pahna.workspace import Workspace

MONTH = JalaliMonth.parse("1404-08")
FLOWS = 200_000
POPULATION = Population.build(3)
REAL = {"qom-tv": 4_000, "teh-news": 3_000, "teh-aparat": 9_000}
DAY = 86_400_000


def flows_of(spec: str, real: dict[str, int] = REAL):  # type: ignore[no-untyped-def]
    return injected_flows(MONTH, Injection.parse(spec), POPULATION, FLOWS, 3, real)


def inside(addresses: list[bytes], networks: tuple[str, ...] | list[str]) -> bool:
    nets = [ipaddress.ip_network(n) for n in networks]
    return all(any(ipaddress.ip_address(address_to_text(a)) in net for net in nets)
               for a in addresses)


def test_the_share_is_of_the_producers_real_flows() -> None:
    table = flows_of("flat:qom-tv:0.2")
    assert table.num_rows == 800
    assert inside(table["src_addr"].to_pylist(), ["185.101.0.0/22"])
    assert flows_of("collude:qom-tv+teh-news:0.5").num_rows == 2_000 + 1_500
    assert flows_of("flat:qom-tv:0.2", {}).num_rows == 0  # no traffic, nothing to inflate
    with pytest.raises(InvalidValueError):
        flows_of("flat:nobody:0.2")


def _served(sources: list[tuple[str, float, int]]) -> pa.Table:
    """Unsampled flow records: (source address, day of the month it starts, how many)."""
    rows = [(address, MONTH.start_ms + int(day * DAY) + i * 1000)
            for address, day, count in sources for i in range(count)]
    n = len(rows)
    return served_flows(ServedFlows(
        np.tile(np.frombuffer(address_to_bytes("10.0.0.1"), np.uint8), (n, 1)),
        np.ones(n, np.uint32),
        np.array([np.frombuffer(address_to_bytes(a), np.uint8) for a, _ in rows]),
        np.tile(np.frombuffer(address_to_bytes("2.176.1.1"), np.uint8), (n, 1)),
        np.array([t for _, t in rows], np.int64), np.array([t for _, t in rows], np.int64)
        + 5_000, np.full(n, 100_000, np.uint64), np.ones(n, np.uint32)),
        "hand", np.random.default_rng(0))


def test_a_producer_mostly_served_from_a_nested_claim_gets_the_share_of_all_it_serves(
        workspace: Workspace) -> None:
    # teh-edu holds 185.105.0.0/22 and, from day 11.77 to day 24 only, the nested
    # 2a0e:9b20:1::/48 inside teh-aparat's 2a0e:9b20::/32 (bench.scenario): 10 records
    # from its own prefix, 90 from the nested block while its claim holds; the block's
    # 40 records on day 5 and 25 from elsewhere in the /32 are teh-aparat's.
    populate_registry(workspace, str(MONTH))
    table = _served([("185.105.1.7", 2.5, 10), ("2a0e:9b20:1::5", 15.2, 90),
                     ("2a0e:9b20:1::5", 5.0, 40), ("2a0e:9b20:7::1", 15.2, 25)])
    write_batch(workspace.store_dir, table, "hand", "1" * 64)
    real = month_flows(workspace, str(MONTH), month_files(workspace, str(MONTH)))
    assert real == {"teh-edu": 100, "teh-aparat": 65}
    assert flows_of("flat:teh-edu:0.2", real).num_rows == 20  # 20% of 100, not of 10
    assert flows_of("step:teh-aparat:0.2", real).num_rows == 13


def test_generated_injections_are_sized_on_the_month_as_generated(
        workspace: Workspace) -> None:
    populate_registry(workspace, str(MONTH))
    spec = Injection.parse("flat:teh-edu:0.5")
    first = write_month(workspace, str(MONTH), 2_000, seed=5, chunk_rows=2_000,
                        injections=[spec])
    injected = [workspace.store_dir / f.path for m in month_manifests(workspace, str(MONTH))
                if m.source.startswith("bench-inject") for f in m.files]
    clean = sorted(set(month_files(workspace, str(MONTH))) - set(injected))
    assert first.injected == round(0.5 * month_flows(workspace, str(MONTH), clean)["teh-edu"]) > 0
    again = write_month(workspace, str(MONTH), 2_000, seed=5, chunk_rows=2_000,
                        injections=[spec])
    assert again.injected == first.injected  # the stored injection is not real traffic


@pytest.mark.parametrize(("spec", "clients"), [
    ("self:qom-tv:0.1", ["185.101.0.0/22"]), ("datacentre:qom-tv:0.1", [HOSTING_NETWORK]),
    ("concentrated:qom-tv:0.1", list(CONCENTRATED)), ("thin:qom-tv+teh-news:0.1", list(BOTS)),
    ("collude:qom-tv+teh-news:0.1", ["185.101.0.0/22", "185.104.0.0/22"])])
def test_each_scheme_goes_where_it_says(spec: str, clients: list[str]) -> None:
    assert inside(flows_of(spec)["dst_addr"].to_pylist(), clients)


def test_time_shapes() -> None:
    half = MONTH.start_ms + MONTH.days // 2 * 86_400_000
    assert min(flows_of("step:teh-aparat:0.2")["start_ms"].to_pylist()) >= half
    flat = np.array(flows_of("flat:teh-aparat:0.5")["start_ms"].to_pylist())
    hours = np.bincount(((flat - MONTH.start_ms) // 3_600_000) % 24, minlength=24)
    assert hours.min() > 0.6 * hours.mean()  # no daily cycle
    sizes = set(flows_of("thin:qom-tv+teh-news:0.5")["bytes"].to_pylist())
    assert len(sizes) <= 3


@pytest.mark.parametrize("spec", ["flat:qom-tv", "nope:qom-tv:0.1", "flat:qom-tv:x",
                                  "collude:qom-tv:0.1", "flat:qom-tv:0"])
def test_bad_specs_are_refused(spec: str) -> None:
    with pytest.raises(InvalidValueError):
        Injection.parse(spec)
