"""Play an IPFIX exporter: send a flow table as real datagrams over loopback UDP."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

import pyarrow as pa

from pahna.intake.ipfix.encoder import encode_flows


def send_flows(flows: pa.Table, host: str, port: int, domain: int = 1,
               source: str = "127.0.0.1", on_sent: Callable[[int], None] | None = None,
               pace_every: int = 256) -> int:
    """Send every row of `flows` as IPFIX to host:port; returns the datagrams sent.

    Sends from `source` (any 127/8 address works on loopback), pausing briefly every
    `pace_every` datagrams as a router's export rate limit would.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sent = 0
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        if family == socket.AF_INET:
            sock.bind((source, 0))
        for message in encode_flows(flows, domain=domain):
            sock.sendto(message, (host, port))
            sent += 1
            if sent % pace_every == 0:
                time.sleep(0.002)
                if on_sent:
                    on_sent(pace_every)
        if on_sent:
            on_sent(sent % pace_every)
    return sent
