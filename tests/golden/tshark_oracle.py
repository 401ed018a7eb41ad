"""tshark as the oracle: its decode of a capture's flow records, in pahna's terms."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

FLOW_PORTS = (2055, 2056, 4739, 9991, 9992, 9993, 9995, 9996)
OCTETS = ("cflow.octets", "cflow.octets64", "cflow.permanent_octets", "cflow.post_octets")
PACKETS = ("cflow.packets", "cflow.packets64", "cflow.permanent_packets", "cflow.post_packets")
ADDRESSES = ("cflow.srcaddr", "cflow.dstaddr", "cflow.srcaddrv6", "cflow.dstaddrv6")
UNIX_1990_MS = 631_152_000_000
"""tshark prints sysUpTime-relative times against a boot time of 0 when it has none."""
Record = tuple[str, str, int, int, int, int, int, int | None, int]
"""(src, dst, src_port, dst_port, protocol, bytes, packets, start_ms, duration_ms);
start_ms is None where tshark cannot place the record in absolute time."""


def tshark() -> str:
    path = shutil.which("tshark")
    if path is None:
        pytest.fail("tshark is not installed: it is the golden tests' oracle (apt tshark)")
    return path


def decode(capture: Path) -> list[dict[str, Any]]:
    """tshark's JSON packet list for a capture, flow ports decoded as NetFlow/IPFIX."""
    args = [tshark(), "-2", "-r", str(capture), "-T", "json", "-n"]
    for port in FLOW_PORTS:
        args += ["-d", f"udp.port=={port},cflow"]
    result = subprocess.run(args, capture_output=True, text=True, timeout=120, check=True)
    return json.loads(result.stdout, object_pairs_hook=Node)


class Node(dict[str, Any]):
    """A JSON object that also keeps its pairs in order (tshark repeats keys when an
    element repeats in a record)."""

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        super().__init__(pairs)
        self.pairs = pairs


def _leaves(node: Node, out: dict[str, Any], order: dict[str, int]) -> None:
    """Leaf fields of a flow, the last occurrence of each, and where it came; counters
    keep every occurrence under "_all" (a biflow repeats them: forward, then reverse)."""
    for key, value in node.pairs:
        if isinstance(value, Node):
            _leaves(value, out, order)
        else:
            if key in OCTETS + PACKETS:
                out.setdefault("_all", {}).setdefault(key, []).append(value)
            out[key] = value
            order[key] = len(order) + len(out)


def _flows(node: Node) -> list[dict[str, Any]]:
    out = []
    for key, value in node.pairs:
        if not isinstance(value, Node):
            continue
        if key.startswith(("Flow ", "pdu ")):
            leaves: dict[str, Any] = {}
            order: dict[str, int] = {}
            _leaves(value, leaves, order)
            leaves["_order"] = order
            out.append(leaves)
        else:
            out.extend(_flows(value))
    return out


def _ms(text: str) -> int:
    stamp, _, fraction = text.removesuffix(" UTC").partition(".")
    when = datetime.strptime(stamp, "%b %d, %Y %H:%M:%S").replace(tzinfo=UTC)
    return int(when.timestamp()) * 1000 + int((fraction or "0")[:3].ljust(3, "0"))


def _first(flow: dict[str, Any], *names: str) -> Any:
    return next((flow[n] for n in names if n in flow), None)


def flow_records(capture: Path) -> tuple[list[Record], bool]:
    """Every flow record tshark decodes, and whether it decoded every packet whole
    (False when it flagged one malformed and stopped inside it)."""
    out: list[Record] = []
    complete = True
    for packet in decode(capture):
        layers = packet["_source"]["layers"]
        cflows = layers.get("cflow")
        complete = complete and '"_ws.malformed"' not in json.dumps(cflows)
        for cflow in cflows if isinstance(cflows, list) else [cflows] if cflows else []:
            clock = _clock(cflow)
            for flow in _flows(cflow):
                record = _record(flow, clock)
                if record is not None:
                    out.extend(_directions(flow, record))
    return out, complete


def _clock(cflow: dict[str, Any]) -> tuple[int, int] | None:
    """(export ms, sysUptime ms) of a v9 header, to place times relative to uptime."""
    if "cflow.sysuptime" not in cflow:
        return None
    return _ms(cflow["cflow.timestamp"]), round(float(cflow["cflow.sysuptime"]) * 1000)


def _time(text: str | None, clock: tuple[int, int] | None, init: str | None) -> int | None:
    if text is None:
        return None
    if not text[:1].isdigit():
        absolute = _ms(text)
        return absolute if absolute >= UNIX_1990_MS else None
    relative = round(float(text) * 1000)  # milliseconds of sysUptime
    if init is not None:  # IPFIX systemInitTimeMilliseconds in the record
        return _ms(init) + relative
    if clock is not None:  # NetFlow v9 header
        export_ms, uptime_ms = clock
        return export_ms - (uptime_ms - relative) % 2**32
    return None


def _relative_ms(flow: dict[str, Any], which: str) -> int:
    text = flow.get(f"cflow.time{which}") or "0"
    return round(float(text) * 1000)


def _address(flow: dict[str, Any], v4: str, v6: str) -> str:
    """With both families, the one listed last unless it is zero; else the one present."""
    four, six = flow.get(v4), flow.get(v6)
    if four is None or six is None:
        return str(four or six or "::")
    order = flow["_order"]
    if order[v4] > order[v6]:
        return str(four if four != "0.0.0.0" or six == "::" else six)
    return str(six if six != "::" else four)


def _directions(flow: dict[str, Any], record: Record) -> list[Record]:
    """A biflow (RFC 5103: tshark shows the reverse counters under the forward names, after
    them) as its forward record and, when it carried anything, its reverse record."""
    counts = flow.get("_all", {})
    octets = next((counts[k] for k in OCTETS if len(counts.get(k, [])) == 2), None)
    packets = next((counts[k] for k in PACKETS if len(counts.get(k, [])) == 2), None)
    if octets is None or packets is None:
        return [record]
    src, dst, sport, dport, protocol, _, _, start, duration = record
    forward = (src, dst, sport, dport, protocol, int(octets[0]), int(packets[0]), start,
               duration)
    reverse = (dst, src, dport, sport, protocol, int(octets[1]), int(packets[1]), start,
               duration)
    return [forward, reverse] if int(octets[1]) or int(packets[1]) else [forward]


def _record(flow: dict[str, Any], clock: tuple[int, int] | None) -> Record | None:
    octets = _first(flow, *OCTETS)
    packets = _first(flow, *PACKETS)
    if not any(a in flow for a in ADDRESSES) and (octets is None or packets is None):
        return None  # an options record (sampling, statistics, names), not a flow
    start_text = _first(flow, "cflow.abstimestart", "cflow.timestart")
    end_text = _first(flow, "cflow.abstimeend", "cflow.timeend")
    init = flow.get("cflow.sys_init_time")
    start, end = _time(start_text, clock, init), _time(end_text, clock, init)
    if start is None and start_text and end_text:  # relative only: keep the duration
        relative = [_relative_ms(flow, name) for name in ("start", "end")]
        duration = (relative[1] - relative[0]) % 2**32
    else:
        duration = 0 if end is None or start is None else end - start
    return (
        _address(flow, "cflow.srcaddr", "cflow.srcaddrv6"),
        _address(flow, "cflow.dstaddr", "cflow.dstaddrv6"),
        int(_first(flow, "cflow.srcport") or 0), int(_first(flow, "cflow.dstport") or 0),
        int(_first(flow, "cflow.protocol") or 0), int(octets or 0), int(packets or 0),
        start, duration,
    )
