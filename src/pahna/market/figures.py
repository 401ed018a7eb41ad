"""Monthly figures per content item, from what settlement computed for the month.

An item's **bytes** are the edge-to-client bytes settlement gives its producer for the
item's requests:

- through an operator (a CDN or hosting company): the producer's share of the
  operator's flow bytes for the month (`ContentShares.shares`, computed by
  `settle.tenants`) is laid over the producer's items in proportion to the counted log
  bytes of each item's requests through that operator in the month, by largest
  remainder (`money.allocate_pool`: exact integers that sum to the share; requests of
  the producer that name no item keep their part, shown under no item);
- logs alone (a server of no operator): the counted log bytes of the item's requests.

So a producer's items sum, with its requests of no item, to what it has from logs
(`ContentShares.from_logs`) to the byte. Counted means an edge log's request of a
person (not an automated client), as settlement counts it.

An item's **client networks** are the distinct /24 (IPv4) or /48 (IPv6) networks of the
clients of its counted requests in the month.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass

import pyarrow as pa

from pahna.parties import ContentItem
from pahna.settle.money import allocate_pool
from pahna.settle.tenants import ContentShares

NO_ITEM = ""
COUNTED_BY = ("producer_id", "content_id", "operator", "tier", "excluded")


@dataclass(frozen=True)
class ItemMonth:
    """One content item's figures for one Jalali month."""

    period: str
    content_id: str
    producer_id: str
    title: str
    title_fa: str
    category: str
    language: str
    province: str
    bytes: int
    client_networks: int


def item_bytes(shares: ContentShares, logs: pa.Table, operators: Collection[str]
               ) -> dict[tuple[str, str], int]:
    """Bytes per (producer, content item) (item "" for requests naming none) as settlement
    counts them (see the module doc). `logs`: log usage (counted or not) grouped by at
    least producer_id, content_id, operator, tier and excluded."""
    weights: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    out: dict[tuple[str, str], int] = defaultdict(int)
    summed = logs.select([*COUNTED_BY, "bytes"]).group_by(
        list(COUNTED_BY), use_threads=False).aggregate([("bytes", "sum")])
    for row in summed.to_pylist():
        producer, content = row["producer_id"], row["content_id"] or NO_ITEM
        value = int(row["bytes_sum"] or 0)
        if (producer is None or producer in operators or not value
                or row["tier"] != "edge" or row["excluded"] is not None):
            continue
        operator = str(row["operator"] or "")
        if operator in operators:
            weights[(operator, producer)][content] += value
        else:
            out[(producer, content)] += value
    for (operator, producer), share in sorted(shares.shares.items()):
        mine = weights.get((operator, producer))
        if producer in operators or not share or not mine:
            continue
        for content, part in allocate_pool(share, mine).items():
            out[(producer, content)] += part
    return {key: value for key, value in sorted(out.items()) if value}


def client_network_counts(clients: pa.Table) -> dict[str, int]:
    """Distinct client networks per content item from a LogQuery grouped by content_id
    with `clients` (requests naming no item left out)."""
    return {str(row["content_id"]): int(row["client_networks"])
            for row in clients.select(["content_id", "client_networks"]).to_pylist()
            if row["content_id"] is not None}


def month_items(period: str, catalogue: Mapping[str, ContentItem],
                bytes_by_item: Mapping[tuple[str, str], int],
                networks: Mapping[str, int]) -> list[ItemMonth]:
    """The month's figures of every catalogue item that had bytes or clients, in id
    order (an item the catalogue no longer holds is left out)."""
    per_item: dict[str, int] = defaultdict(int)
    for (producer, content), value in bytes_by_item.items():
        item = catalogue.get(content)
        if item is not None and item.producer_id == producer:
            per_item[content] += value
    out = []
    for content in sorted(set(per_item) | set(networks)):
        item = catalogue.get(content)
        if item is None:
            continue
        out.append(ItemMonth(period, item.id, item.producer_id, item.title, item.title_fa,
                             item.category, item.language, item.province,
                             per_item.get(content, 0), networks.get(content, 0)))
    return out
