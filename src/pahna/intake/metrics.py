"""Intake counters in the Prometheus text format, and a small HTTP endpoint serving them.

    pahna_intake_datagrams_total{exporter="192.0.2.1"} 1234
    pahna_intake_decode_errors_total{exporter="192.0.2.1",reason="truncated"} 2
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from pahna.intake.base import IntakeCounters

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


def render(counters: IntakeCounters, extra: dict[str, float] | None = None) -> str:
    """Every counter, per exporter, as Prometheus exposition text."""
    data = counters.as_dict()
    lines: list[str] = []
    for name, help_text in COUNTERS:
        metric = f"pahna_intake_{name}_total"
        lines += [f"# HELP {metric} {help_text}", f"# TYPE {metric} counter"]
        lines += [f'{metric}{{exporter="{exporter}"}} {values[name]}'
                  for exporter, values in data.items()]
    metric = "pahna_intake_decode_errors_total"
    lines += [f"# HELP {metric} Datagrams rejected, by reason.", f"# TYPE {metric} counter"]
    for exporter, values in data.items():
        errors = values["errors"]
        assert isinstance(errors, dict)
        lines += [f'{metric}{{exporter="{exporter}",reason="{reason}"}} {count}'
                  for reason, count in sorted(errors.items())]
    for name, value in sorted((extra or {}).items()):
        lines += [f"# TYPE pahna_{name} gauge", f"pahna_{name} {value}"]
    return "\n".join(lines) + "\n"


class MetricsServer:
    """Serve `render()` at /metrics from a daemon thread until `close()`."""

    def __init__(self, host: str, port: int, page: Callable[[], str]) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.split("?")[0] != "/metrics":
                    self.send_error(404)
                    return
                body = page().encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
