"""The registry as attribution rules: every claim, metering point and domestic list
version, turned into the lookup structures the usage kernel runs.

In between sits a *rules snapshot*: the same entries as plain JSON (claims in registry
order, metering points, domestic list versions with their prefixes), restricted to those
in force at some instant of a window. A final keeps the snapshot it was computed with,
so it replays to the same attribution whatever the registry holds later.

    {"format": 1, "window_ms": [start, end] or null,
     "claims": [[producer_id, kind, value, valid_from_ms, valid_to_ms or null,
                 content_id or null], ...],
     "metering": [[producer_id, exporter, interface, direction, from_ms, to_ms], ...],
     "domestic": [{"valid_from_ms": ..., "valid_to_ms": ..., "prefixes": [...]}, ...],
     "contents": [[content_id, producer_id, title, title_fa, category, language,
                   province], ...]}

`contents` (the catalogue entries the window's host claims name, as they were when the
snapshot was taken) is there only when some claim names one.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

import numpy as np
from sqlalchemy import Engine

from pahna.aggregate.kernel import Rules
from pahna.attribute.agents import crawler_detect
from pahna.attribute.asns import AsnIndex, TimedAsn
from pahna.attribute.claims import ClaimIndex, TimedPrefix
from pahna.attribute.domestic import DomesticIndex
from pahna.attribute.hosts import HostIndex, TimedHost
from pahna.attribute.metering import EGRESS, INGRESS, MeteringFilter, TimedPoint
from pahna.parties import Producer
from pahna.registry.catalogue import list_items
from pahna.registry.claimbook import split_host
from pahna.registry.claims import list_claims
from pahna.registry.domestic import domestic_lists
from pahna.registry.metering import list_points
from pahna.schema import address_to_bytes

SNAPSHOT_FORMAT = 1


def _in_window(valid_from: int, valid_to: int | None, window: tuple[int, int] | None) -> bool:
    if window is None:
        return True
    return valid_from < window[1] and (valid_to is None or valid_to > window[0])


def rules_snapshot(engine: Engine, window: tuple[int, int] | None = None) -> dict[str, Any]:
    """The registry's attribution entries in force at some instant of `window` [start,
    end) in epoch ms (None: all of them), as plain JSON."""
    claims = [[c.spec.producer_id, c.spec.kind, c.spec.value, c.spec.valid_from_ms,
               c.spec.valid_to_ms, c.spec.content_id] for c in list_claims(engine)
              if _in_window(c.spec.valid_from_ms, c.spec.valid_to_ms, window)]
    points = [[p.producer_id, p.exporter, p.interface, p.direction, p.valid_from_ms,
               p.valid_to_ms] for p in list_points(engine)
              if _in_window(p.valid_from_ms, p.valid_to_ms, window)]
    lists = [{"valid_from_ms": v.valid_from_ms, "valid_to_ms": v.valid_to_ms,
              "prefixes": [str(n) for n in v.networks]} for v in domestic_lists(engine)
             if _in_window(v.valid_from_ms, v.valid_to_ms, window)]
    out: dict[str, Any] = {"format": SNAPSHOT_FORMAT,
                           "window_ms": list(window) if window else None,
                           "claims": claims, "metering": points, "domestic": lists}
    named = {c[5] for c in claims if c[5]}
    contents = [[i.id, i.producer_id, i.title, i.title_fa, i.category, i.language,
                 i.province] for i in list_items(engine) if i.id in named]
    if contents:  # snapshots of months without content items stay as they were
        out["contents"] = contents
    return out


def rules_from_snapshot(snapshot: dict[str, Any]) -> Rules:
    """The kernel's Rules for a rules snapshot."""
    claims = snapshot["claims"]
    points = snapshot["metering"]
    owners = sorted({c[0] for c in claims} | {p[0] for p in points})
    position = {owner: i for i, owner in enumerate(owners)}
    asns = [TimedAsn(position[c[0]], int(c[2]), c[3], c[4]) for c in claims if c[1] == "asn"]
    contents = sorted({_content_of(c) for c in claims if _content_of(c)})
    content_at = {content: i for i, content in enumerate(contents)}
    hosts = [TimedHost(position[c[0]], split_host(c[2])[0], c[3], c[4], split_host(c[2])[1],
                       content_at.get(_content_of(c), -1))
             for c in claims if c[1] == "host"]
    metering = [TimedPoint(position[p[0]], address_to_bytes(p[1]), p[2],
                           INGRESS if p[3] == "ingress" else EGRESS, p[4], p[5]) for p in points]
    return Rules(
        claims=ClaimIndex(owners, _prefixes(snapshot)),
        domestic=domestic_from_snapshot(snapshot),
        asns=AsnIndex(asns) if asns else None,
        metering=MeteringFilter(metering, len(owners)) if metering else None,
        hosts=HostIndex(hosts) if hosts else None,
        contents=tuple(contents),
        agents=crawler_detect(),
    )


def _content_of(claim: list[Any]) -> str:
    """The content item a snapshot's claim names ("" for none; snapshots sealed before
    content items have five fields)."""
    return (claim[5] or "") if len(claim) > 5 else ""


def _prefixes(snapshot: dict[str, Any]) -> list[TimedPrefix]:
    return [TimedPrefix(c[0], ipaddress.ip_network(c[2]), c[3], c[4])
            for c in snapshot["claims"] if c[1] == "prefix"]


def province_codes(owners: list[str], producers: Iterable[Producer]) -> np.ndarray:
    """A code per owner for the kernel's same-province flag (Rules.provinces): equal
    codes for producers of the same province, -1 for an owner without one."""
    province = {p.id: p.province for p in producers}
    names = sorted({v for v in province.values() if v})
    return np.array([names.index(province[o]) if province.get(o) else -1 for o in owners],
                    dtype=np.int32)


def domestic_from_snapshot(snapshot: dict[str, Any]) -> DomesticIndex:
    """Every domestic list version of the snapshot, each in force over its validity."""
    return DomesticIndex([
        ([TimedPrefix("", ipaddress.ip_network(p), 0, None) for p in version["prefixes"]],
         version["valid_from_ms"], version["valid_to_ms"])
        for version in snapshot["domestic"]
    ])


def load_rules(engine: Engine) -> Rules:
    """Attribution rules for everything the registry holds, past and present."""
    return rules_from_snapshot(rules_snapshot(engine))


def load_domestic(engine: Engine) -> DomesticIndex:
    """Every domestic list version, each in force over its own validity."""
    return domestic_from_snapshot(rules_snapshot(engine))
