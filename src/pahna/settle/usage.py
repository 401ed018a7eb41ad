"""What settlement is given about each producer for a month: who it is and what it served.

Everything is already sampling-scaled and spread over 5-minute bins by aggregation;
settlement only prices it.
"""

from __future__ import annotations

from dataclasses import dataclass

from pahna.calendar import jalali_date_text


@dataclass(frozen=True)
class ProducerInfo:
    id: str
    name: str
    name_fa: str
    province: str
    type: str = "other"
    zone: str | None = None
    iban: str | None = None


@dataclass(frozen=True)
class BinUsage:
    """Bytes sent by the producer in one 5-minute bin, by traffic class, and received."""

    bin_start_ms: int
    domestic: int = 0
    international: int = 0
    unknown: int = 0
    received: int = 0

    @property
    def sent(self) -> int:
        return self.domestic + self.international + self.unknown

    def of(self, klass: str) -> int:
        value: int = getattr(self, klass)
        return value


@dataclass(frozen=True)
class ProducerUsage:
    """A producer's month. `bins` holds only bins with traffic, in time order."""

    producer: ProducerInfo
    bins: tuple[BinUsage, ...] = ()
    client_networks: int = 0  # distinct client /24 (IPv4) plus /48 (IPv6)
    intra_province_bytes: int = 0  # sent bytes to addresses in the producer's province
    flows: int = 0

    def total(self, klass: str) -> int:
        return sum(b.of(klass) for b in self.bins)

    @property
    def sent_bytes(self) -> int:
        return sum(b.sent for b in self.bins)

    @property
    def received_bytes(self) -> int:
        return sum(b.received for b in self.bins)


def assemble_usage(producers: list[ProducerInfo], rows: list[dict[str, object]],
                   received: dict[tuple[str, int], int], client_networks: dict[str, int],
                   intra_province: dict[str, int]) -> list[ProducerUsage]:
    """Producers' months from usage rows (producer_id, traffic_class, bin_start_ms, bytes,
    flows) and the received/client/intra-province profiles; every producer gets one."""
    cells: dict[str, dict[int, dict[str, int]]] = {p.id: {} for p in producers}
    flows: dict[str, int] = {}
    for row in rows:
        pid = row["producer_id"]
        if not isinstance(pid, str) or pid not in cells:
            continue
        bin_ms, klass = int(str(row["bin_start_ms"])), str(row["traffic_class"])
        cell = cells[pid].setdefault(bin_ms, {})
        cell[klass] = cell.get(klass, 0) + int(str(row["bytes"]))
        flows[pid] = flows.get(pid, 0) + int(str(row["flows"]))
    for (pid, bin_ms), value in received.items():
        if pid in cells:
            cells[pid].setdefault(bin_ms, {})["received"] = value
    return [ProducerUsage(
        p, tuple(BinUsage(b, **cells[p.id][b]) for b in sorted(cells[p.id])),
        client_networks.get(p.id, 0), intra_province.get(p.id, 0), flows.get(p.id, 0))
        for p in producers]


def daily_bytes(usage: ProducerUsage) -> list[tuple[str, int]]:
    """Bytes sent per Tehran-local Jalali day (days with traffic), in order."""
    days: dict[str, int] = {}
    for b in usage.bins:
        day = jalali_date_text(b.bin_start_ms)
        days[day] = days.get(day, 0) + b.sent
    return sorted(days.items())
