"""Last commit per exporter, shared by a collector's workers, and the silent-exporter
alarm, on a hand-driven clock."""

from __future__ import annotations

from pathlib import Path

from pahna.intake.base import IntakeCounters
from pahna.intake.health import ExporterHealth
from pahna.intake.metrics import CollectorView, metrics_registry, render


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_an_expected_exporter_silent_past_the_limit_raises_one_alarm(tmp_path: Path) -> None:
    clock = Clock()
    health = ExporterHealth(tmp_path, "k", "k", ["192.0.2.1", "192.0.2.9"], 60, clock)
    health.committed(["192.0.2.1"])
    clock.now += 59
    assert health.check() == []
    clock.now += 2  # 61 s: both past the limit (192.0.2.9 never heard since the start)
    lines = health.check()
    assert [line.split()[2] for line in lines] == ["192.0.2.1", "192.0.2.9"]
    assert all(line.startswith("ALARM exporter") and "limit 60 s" in line for line in lines)
    assert health.check() == []  # said once
    health.committed(["192.0.2.1"])
    assert health.check() == ["exporter 192.0.2.1 heard again"]
    page = render(metrics_registry(CollectorView(IntakeCounters, health=health)))
    assert 'pahna_collector_exporter_silent{exporter="192.0.2.1"} 0.0' in page
    assert 'pahna_collector_exporter_silent{exporter="192.0.2.9"} 1.0' in page
    assert 'pahna_collector_seconds_since_last_commit{exporter="192.0.2.1"} 0.0' in page
    assert 'pahna_collector_seconds_since_last_commit{exporter="192.0.2.9"} 61.0' in page


def test_workers_and_restarts_share_the_last_commit(tmp_path: Path) -> None:
    clock = Clock()
    first = ExporterHealth(tmp_path, "k-w0", "k", ["192.0.2.1"], 60, clock)
    second = ExporterHealth(tmp_path, "k-w1", "k", ["192.0.2.1"], 60, clock)
    other = ExporterHealth(tmp_path, "z", "z", ["192.0.2.1"], 60, clock)
    clock.now += 100
    second.committed(["192.0.2.1"])  # the exporter's datagrams go to worker 1
    clock.now += 10
    assert first.ages() == {"192.0.2.1": 10.0}
    assert first.check() == []
    assert other.ages() == {"192.0.2.1": 110.0}  # another collector's listen addresses
    restarted = ExporterHealth(tmp_path, "k-w0", "k", ["192.0.2.1"], 60, clock)
    clock.now += 55
    assert restarted.ages() == {"192.0.2.1": 65.0} and len(restarted.check()) == 1
