"""The registry as attribution rules: every claim, metering point and domestic list
version, turned into the lookup structures the usage kernel runs."""

from __future__ import annotations

import ipaddress

from sqlalchemy import Engine

from pahna.aggregate.kernel import Rules
from pahna.attribute.agents import AgentClassifier
from pahna.attribute.asns import AsnIndex, TimedAsn
from pahna.attribute.claims import ClaimIndex, TimedPrefix
from pahna.attribute.domestic import DomesticIndex
from pahna.attribute.hosts import HostIndex, TimedHost
from pahna.attribute.metering import EGRESS, INGRESS, MeteringFilter, TimedPoint
from pahna.registry.claimbook import split_host
from pahna.registry.claims import list_claims
from pahna.registry.domestic import domestic_lists
from pahna.registry.metering import list_points
from pahna.schema import address_to_bytes


def load_rules(engine: Engine) -> Rules:
    """Attribution rules for everything the registry holds, past and present."""
    claims = [c.spec for c in list_claims(engine)]
    points = list_points(engine)
    owners = sorted({c.producer_id for c in claims} | {p.producer_id for p in points})
    position = {owner: i for i, owner in enumerate(owners)}
    prefixes = [TimedPrefix(c.producer_id, ipaddress.ip_network(c.value), c.valid_from_ms,
                            c.valid_to_ms) for c in claims if c.kind == "prefix"]
    asns = [TimedAsn(position[c.producer_id], int(c.value), c.valid_from_ms, c.valid_to_ms)
            for c in claims if c.kind == "asn"]
    contents = sorted({c.content_id for c in claims if c.content_id})
    content_at = {content: i for i, content in enumerate(contents)}
    hosts = [TimedHost(position[c.producer_id], *split_host(c.value)[:1], c.valid_from_ms,
                       c.valid_to_ms, split_host(c.value)[1],
                       content_at.get(c.content_id or "", -1))
             for c in claims if c.kind == "host"]
    metering = [TimedPoint(position[p.producer_id], address_to_bytes(p.exporter), p.interface,
                           INGRESS if p.direction == "ingress" else EGRESS, p.valid_from_ms,
                           p.valid_to_ms) for p in points]
    return Rules(
        claims=ClaimIndex(owners, prefixes),
        domestic=load_domestic(engine),
        asns=AsnIndex(asns) if asns else None,
        metering=MeteringFilter(metering, len(owners)) if metering else None,
        hosts=HostIndex(hosts) if hosts else None,
        contents=tuple(contents),
        agents=AgentClassifier(),
    )


def load_domestic(engine: Engine) -> DomesticIndex:
    """Every domestic list version, each in force over its own validity."""
    return DomesticIndex([
        ([TimedPrefix("", n, 0, None) for n in version.networks], version.valid_from_ms,
         version.valid_to_ms)
        for version in domestic_lists(engine)
    ])
