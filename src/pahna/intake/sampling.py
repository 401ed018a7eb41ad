"""Sampling rates learnt from options records, per exporter, domain and sampler.

An options record names its sampler (samplerId 48 or selectorId 302; none means the
whole domain) and its rate (samplingInterval 34, samplerRandomInterval 50, or
samplingPacketInterval/Space 305/306,
samplingSize/Population 309/310). A data record that names a sampler gets that
sampler's rate; one that does not gets the domain's latest rate; a rate carried in the
data record itself wins over both (see :func:`pahna.intake.records.flows_from_records`).
Rates are stored with each record, never applied to its counters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from pahna.intake import elements as ie
from pahna.intake.records import uint_column

if TYPE_CHECKING:
    from pahna.intake.templates import Template

DomainKey = tuple[bytes, int]
SAMPLER_ELEMENTS = (ie.SAMPLER_ID, ie.SELECTOR_ID)
DOMAIN_WIDE = -1
RATE_MAX = 0xFFFFFFFF


def record_rates(template: Template, records: np.ndarray) -> np.ndarray:
    """The rate each options record announces (0 where it announces none)."""
    n = len(records)
    names = template.names
    rate = np.zeros(n, dtype=np.uint64)
    for element in (ie.SAMPLING_INTERVAL, ie.SAMPLER_RANDOM_INTERVAL):
        if element in names:
            values = uint_column(records, names[element], n)
            rate = np.where(rate == 0, values, rate)
    if ie.SAMPLING_PACKET_SPACE in names:
        interval = uint_column(records, names.get(ie.SAMPLING_PACKET_INTERVAL), n)
        space = uint_column(records, names[ie.SAMPLING_PACKET_SPACE], n)
        spaced = np.where(interval > 0, (interval + space) // np.maximum(interval, 1), 0)
        rate = np.where(rate == 0, spaced, rate)
    if ie.SAMPLING_POPULATION in names:
        size = uint_column(records, names.get(ie.SAMPLING_SIZE), n)
        population = uint_column(records, names[ie.SAMPLING_POPULATION], n)
        drawn = np.where(size > 0, population // np.maximum(size, 1), 0)
        rate = np.where(rate == 0, drawn, rate)
    return rate


def sampler_ids(template: Template, records: np.ndarray) -> np.ndarray | None:
    for element in SAMPLER_ELEMENTS:
        if element in template.names:
            return uint_column(records, template.names[element], len(records)).astype(np.int64)
    return None


class SamplingTable:
    """Rates by (exporter, domain) and sampler id."""

    def __init__(self) -> None:
        self._rates: dict[DomainKey, dict[int, int]] = {}

    def learn(self, domain: DomainKey, template: Template, records: np.ndarray) -> None:
        """Take the rates announced by a run of options records, in order."""
        rates = record_rates(template, records)
        ids = sampler_ids(template, records)
        table = self._rates.setdefault(domain, {})
        for index in np.flatnonzero(rates):
            rate = int(rates[index])
            if rate > RATE_MAX:
                rate = 0  # cannot be applied: its records are rejected (plausible.py)
            if ids is not None:
                table[int(ids[index])] = rate
            table[DOMAIN_WIDE] = rate

    def rates(self, domain: DomainKey, template: Template, chunk: bytes,
              count: int) -> int | np.ndarray:
        """The known rate of a set's data records: one number for all of them, or one per
        record when they name samplers with different rates (1 where none is known)."""
        table = self._rates.get(domain)
        if not table:
            return 1
        default = table.get(DOMAIN_WIDE, 1)
        if len(table) < 2 or not any(e in template.names for e in SAMPLER_ELEMENTS):
            return default
        records = np.frombuffer(chunk, dtype=template.dtype, count=count)
        out = np.full(count, default, dtype=np.uint32)
        ids = sampler_ids(template, records)
        if ids is not None:
            for sampler in np.unique(ids):
                if int(sampler) in table:
                    out[ids == sampler] = table[int(sampler)]
        return out

    def to_list(self) -> list[dict[str, Any]]:
        return [{"exporter": key[0].hex(), "domain": key[1],
                 "rates": [[sampler, rate] for sampler, rate in sorted(table.items())]}
                for key, table in sorted(self._rates.items())]

    def load_list(self, items: list[dict[str, Any]]) -> None:
        for item in items:
            key = (bytes.fromhex(item["exporter"]), int(item["domain"]))
            self._rates[key] = {int(s): int(r) for s, r in item["rates"]}
