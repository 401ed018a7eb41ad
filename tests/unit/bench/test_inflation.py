"""The red team's injections: each scheme looks like what it claims to be."""

from __future__ import annotations

import ipaddress

import numpy as np
import pytest

from pahna.bench.flows import Population
from pahna.bench.inflation import (
    BOTS,
    CONCENTRATED,
    HOSTING_NETWORK,
    Injection,
    expected_flows,
    injected_flows,
)
from pahna.calendar import JalaliMonth
from pahna.errors import InvalidValueError
from pahna.schema import address_to_text

MONTH = JalaliMonth.parse("1404-08")
FLOWS = 200_000
POPULATION = Population.build(3)


def flows_of(spec: str):  # type: ignore[no-untyped-def]
    return injected_flows(MONTH, Injection.parse(spec), POPULATION, FLOWS, 3)


def inside(addresses: list[bytes], networks: tuple[str, ...] | list[str]) -> bool:
    nets = [ipaddress.ip_network(n) for n in networks]
    return all(any(ipaddress.ip_address(address_to_text(a)) in net for net in nets)
               for a in addresses)


def test_the_share_is_of_the_producers_expected_flows() -> None:
    table = flows_of("flat:qom-tv:0.2")
    assert table.num_rows == round(0.2 * expected_flows(POPULATION, "qom-tv", FLOWS)) > 0
    assert inside(table["src_addr"].to_pylist(), ["185.101.0.0/22"])


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
