"""The collector's metrics through prometheus-client, read from its live counters at each
scrape, with the process's own (CPU, memory, open files) and the platform's.

    pahna_intake_datagrams_total{exporter="192.0.2.1"} 1234
    pahna_intake_decode_errors_total{exporter="192.0.2.1",reason="truncated"} 2
    pahna_collector_received_total 1234
    pahna_collector_kernel_drops_total 0
    pahna_collector_store_retries_total 0
    pahna_collector_spool_bytes 0                (sealed and open segments on disk)
    pahna_collector_spool_segments 0
    pahna_collector_seconds_since_last_commit{exporter="192.0.2.1"} 3.2
    pahna_collector_exporter_silent{exporter="192.0.2.9"} 1     (expected exporters)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from pahna.intake.base import IntakeCounters
from pahna.intake.health import ExporterHealth

COUNTERS = (
    ("datagrams", "Export datagrams received."),
    ("records", "Flow records decoded."),
    ("bytes", "Bytes of export datagrams received."),
    ("template_misses", "Data sets that arrived before their template."),
    ("sequence_gaps", "Datagrams (v9, sFlow) or records (v5, IPFIX) missing by sequence."),
    ("quarantined", "Datagrams (or held data sets) kept in quarantine."),
    ("quarantined_bytes", "Bytes kept in quarantine."),
    ("duplicates", "Datagrams the store already held (known by their export identity)."),
)
RECEIVE_COUNTERS = {
    "datagrams": ("received", "Datagrams the collector received."),
    "kernel_drops": ("kernel_drops", "Datagrams the kernel dropped (full socket buffer)."),
}


@dataclass
class CollectorView:
    """What the metrics read, each scrape."""

    intake: Callable[[], IntakeCounters]
    receiving: Callable[[], dict[str, int]] = dict
    store_retries: Callable[[], int] = int
    spool: Path | None = None
    health: ExporterHealth | None = None


class CollectorMetrics(Collector):
    """The collector's counters as metric families (read when scraped)."""

    def __init__(self, view: CollectorView) -> None:
        self.view = view

    def collect(self) -> Iterator[Metric]:
        yield from _intake(self.view.intake())
        yield from _receiving(self.view.receiving(), self.view.store_retries())
        if self.view.spool is not None:
            yield from _spool(self.view.spool)
        if self.view.health is not None:
            yield from _health(self.view.health)


def _intake(counters: IntakeCounters) -> Iterator[Metric]:
    data = counters.as_dict()
    for name, help_text in COUNTERS:
        family = CounterMetricFamily(f"pahna_intake_{name}", help_text, labels=["exporter"])
        for exporter, values in data.items():
            family.add_metric([exporter], float(values[name]))  # type: ignore[arg-type]
        yield family
    errors = CounterMetricFamily("pahna_intake_decode_errors", "Datagrams rejected, by reason.",
                                 labels=["exporter", "reason"])
    for exporter, values in data.items():
        by_reason = values["errors"]
        assert isinstance(by_reason, dict)
        for reason, count in sorted(by_reason.items()):
            errors.add_metric([exporter, reason], float(count))
    yield errors


def _receiving(counts: dict[str, int], retries: int) -> Iterator[Metric]:
    for key, (name, help_text) in RECEIVE_COUNTERS.items():
        yield CounterMetricFamily(f"pahna_collector_{name}", help_text,
                                  value=float(counts.get(key, 0)))
    yield CounterMetricFamily("pahna_collector_store_retries",
                              "Commits of a batch the store refused, retried.", value=retries)
    for key, value in sorted(counts.items()):
        if key not in RECEIVE_COUNTERS:
            yield GaugeMetricFamily(f"pahna_collector_{key}", f"The receive path's {key}.",
                                    value=float(value))


def _spool(folder: Path) -> Iterator[Metric]:
    sizes = []
    for path in folder.glob("seg-*"):
        try:
            sizes.append(path.stat().st_size)
        except FileNotFoundError:  # flushed meanwhile
            continue
    yield GaugeMetricFamily("pahna_collector_spool_bytes",
                            "Bytes of datagrams in the spool, not yet in the store.",
                            value=float(sum(sizes)))
    yield GaugeMetricFamily("pahna_collector_spool_segments",
                            "Spool segments on disk (sealed and open).", value=len(sizes))


def _health(health: ExporterHealth) -> Iterator[Metric]:
    ages = health.ages()
    since = GaugeMetricFamily("pahna_collector_seconds_since_last_commit",
                              "Seconds since a batch holding the exporter's datagrams was "
                              "committed (expected exporters never seen: since the start).",
                              labels=["exporter"])
    for exporter, age in ages.items():
        since.add_metric([exporter], age)
    yield since
    silent = GaugeMetricFamily("pahna_collector_exporter_silent",
                               "1 when an expected exporter is silent past the limit.",
                               labels=["exporter"])
    for exporter in health.expected:
        silent.add_metric([exporter], 1.0 if ages[exporter] > health.limit_s else 0.0)
    yield silent


def metrics_registry(view: CollectorView) -> CollectorRegistry:
    """A registry of the collector's metrics, the process's and the platform's."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(CollectorMetrics(view))
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    return registry


def render(registry: CollectorRegistry) -> str:
    """The Prometheus text exposition of `registry`."""
    return generate_latest(registry).decode()


class MetricsServer:
    """prometheus-client's HTTP server of `registry`, from a daemon thread until close()."""

    def __init__(self, host: str, port: int, registry: CollectorRegistry) -> None:
        self.server, self.thread = start_http_server(port, host, registry)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
