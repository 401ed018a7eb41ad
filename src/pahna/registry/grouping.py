"""Usage per producer and traffic class, regrouped by what the registry knows about each
producer: itself, its province, its special IT zone or its type. The unattributed
remainder is kept as its own row, never dropped."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from pahna.errors import RegistryError
from pahna.parties import Producer
from pahna.schema import TRAFFIC_CLASSES

GROUPINGS = ("producer", "province", "zone", "type")
UNATTRIBUTED = "(unattributed)"
NO_ZONE = "(no zone)"


@dataclass
class UsageGroup:
    key: str
    bytes: int = 0
    packets: int = 0
    flows: int = 0
    by_class: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TRAFFIC_CLASSES, 0))

    def as_dict(self, by: str) -> dict[str, object]:
        """A JSON row; the key is named `producer_id` when grouping by producer."""
        name = "producer_id" if by == "producer" else by
        key = None if self.key == UNATTRIBUTED else self.key
        return {name: key, "bytes": self.bytes, "packets": self.packets,
                "flows": self.flows, "bytes_by_class": dict(self.by_class)}


def group_usage(rows: Iterable[Mapping[str, object]], producers: Mapping[str, Producer],
                by: str, traffic_class: str | None = None
                ) -> tuple[list[UsageGroup], UsageGroup]:
    """(groups sorted by key, unattributed remainder) from rows holding producer_id,
    traffic_class, bytes, packets and flows."""
    if by not in GROUPINGS:
        raise RegistryError(f"cannot group usage by {by!r}; allowed: {', '.join(GROUPINGS)}")
    if traffic_class is not None and traffic_class not in TRAFFIC_CLASSES:
        raise RegistryError(f"traffic class {traffic_class!r}: allowed "
                            f"{', '.join(TRAFFIC_CLASSES)}")
    groups: dict[str, UsageGroup] = {}
    rest = UsageGroup(UNATTRIBUTED)
    for row in rows:
        klass = str(row["traffic_class"])
        if traffic_class is not None and klass != traffic_class:
            continue
        producer_id = row["producer_id"]
        if producer_id is None:
            target = rest
        else:
            key = _key(producers.get(str(producer_id)), str(producer_id), by)
            target = groups.setdefault(key, UsageGroup(key))
        _add(target, row, klass)
    return [groups[k] for k in sorted(groups)], rest


def _key(producer: Producer | None, producer_id: str, by: str) -> str:
    if by == "producer" or producer is None:
        return producer_id
    if by == "province":
        return producer.province
    if by == "zone":
        return producer.zone or NO_ZONE
    return producer.type


def _add(group: UsageGroup, row: Mapping[str, object], klass: str) -> None:
    value = int(row["bytes"])  # type: ignore[call-overload]
    group.bytes += value
    group.packets += int(row["packets"])  # type: ignore[call-overload]
    group.flows += int(row["flows"])  # type: ignore[call-overload]
    group.by_class[klass] = group.by_class.get(klass, 0) + value
