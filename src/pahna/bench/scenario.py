"""The bench month's world: the demo's producers plus nested, time-limited claims, and
exporters of which some sample.

Nested claims go three levels deep (a /16, a /24 inside it, a /28 inside that) and some
hold only for part of the month, starting or ending at instants that are not bin
edges, so attribution changes owner in the middle of a day and in the middle of a bin.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from pahna.attribute.claims import TimedPrefix
from pahna.attribute.domestic import DomesticIndex
from pahna.calendar import JalaliMonth
from pahna.demo.scenario import DEMO_TARIFF, UNCLAIMED_SOURCES, demo_producers
from pahna.registry.database import open_registry
from pahna.registry.producers import PrefixClaim, add_prefix_claim, add_producer, list_producers
from pahna.workspace import Workspace

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
DAY_MS = 86_400_000


@dataclass(frozen=True)
class TimedClaim:
    """A claim valid from `from_day` to `to_day` (days into the month, fractional;
    None = before the month / open-ended)."""

    producer_id: str
    network: str
    from_day: float | None
    to_day: float | None

    @property
    def network_object(self) -> Network:
        return ipaddress.ip_network(self.network)


NESTED_CLAIMS = (
    TimedClaim("qom-podcast", "185.120.65.0/24", 7.3, 19.61),
    TimedClaim("qom-games", "185.120.64.0/28", 2.5, 26.123456),
    TimedClaim("teh-edu", "2a0e:9b20:1::/48", 11.77, 24.0),
    TimedClaim("isf-students", "185.109.2.0/24", None, 14.9),
    TimedClaim("snd-radio", "2a0e:9b40:ab00::/40", 5.01, None),
)
"""Nested inside other producers' prefixes, each for part of the month."""


@dataclass(frozen=True)
class Exporter:
    address: str
    sampling_rate: int  # 1 = unsampled; 0 = not reported (read as 1)
    share: float  # of the flow records


EXPORTERS = (
    Exporter("10.0.0.1", 1, 0.35),
    Exporter("10.0.0.2", 1, 0.25),
    Exporter("10.0.0.3", 100, 0.2),
    Exporter("10.0.0.4", 1000, 0.1),
    Exporter("fd00::5", 512, 0.07),
    Exporter("10.0.0.6", 0, 0.03),
)

CLIENTS = (("2.176.0.0/12", 0.35), ("5.112.0.0/12", 0.25), ("2a01:5ec0::/32", 0.1),
           ("93.184.0.0/16", 0.15), ("2606:2800::/32", 0.05), ("8.8.0.0/16", 0.1))
"""Destination networks and shares; the first three are domestic in the bench list."""

DOMESTIC_NETWORKS = ("2.176.0.0/12", "5.112.0.0/12", "2a01:5ec0::/32")


def source_networks() -> list[tuple[Network, str]]:
    """Every source network flows come from, with a label (producer id or 'unclaimed')."""
    out: list[tuple[Network, str]] = []
    for item in demo_producers():
        out += [(net, item.producer.id) for net in item.prefixes]
    out += [(ipaddress.ip_network(c.network), c.producer_id) for c in NESTED_CLAIMS]
    out += [(ipaddress.ip_network(n), "unclaimed") for n in UNCLAIMED_SOURCES]
    return out


def _instant(month: JalaliMonth, day: float | None) -> int | None:
    return None if day is None else month.start_ms + int(day * DAY_MS)


def claim_window(month: JalaliMonth, claim: TimedClaim) -> tuple[int, int]:
    """The part of the month the claim holds: [first ms, end ms)."""
    return (_instant(month, claim.from_day) or month.start_ms,
            _instant(month, claim.to_day) or month.end_ms)


def populate_registry(workspace: Workspace, period: str) -> bool:
    """Producers, claims and tariff for the bench month; False if already populated."""
    engine = open_registry(workspace.registry_url)
    if list_producers(engine):
        return False
    month = JalaliMonth.parse(period)
    since = month.start_ms - 400 * DAY_MS
    for item in demo_producers():
        add_producer(engine, item.producer, actor="bench")
        for net in item.prefixes:
            add_prefix_claim(engine, PrefixClaim(item.producer.id, net, since, None),
                             approve_nested=True, actor="bench")
    for claim in NESTED_CLAIMS:
        start = _instant(month, claim.from_day)
        add_prefix_claim(engine, PrefixClaim(
            claim.producer_id, ipaddress.ip_network(claim.network),
            since if start is None else start, _instant(month, claim.to_day)),
            approve_nested=True, actor="bench")
    tariff = workspace.tariffs_dir / "incentive-demo.toml"
    if not tariff.exists():
        tariff.write_text(DEMO_TARIFF, encoding="utf-8")
    return True


def domestic_index(period: str) -> DomesticIndex:
    """The bench's domestic list, in force from day 3 to just after day 25 only, so that
    domestic, international and unknown traffic all occur in the month."""
    month = JalaliMonth.parse(period)
    prefixes = [TimedPrefix("ir", ipaddress.ip_network(n), 0, None) for n in DOMESTIC_NETWORKS]
    return DomesticIndex([(prefixes, month.start_ms + 3 * DAY_MS,
                           month.start_ms + 25 * DAY_MS + 1234)])
