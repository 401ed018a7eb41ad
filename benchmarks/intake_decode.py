"""Intake benchmark: pahna's decode rate against nfdump's nfcapd and pmacct's nfacctd on
the same NetFlow v9 stream, per core, and the highest UDP rate `pahna collect` takes
without loss. Everything runs on this machine, in this run, over loopback.

    PYTHONPATH=src python benchmarks/intake_decode.py [--flows 200000] [--cpu 1] [--decode-only]

Per core = records decoded per CPU-second of the decoding process(es): for pahna the
process CPU time of FlowDecoder.decode over the whole stream; for nfcapd and nfacctd the
CPU time (user + system, every process of the daemon) spent receiving the same stream,
paced so that they lose nothing. Records they decoded are counted from their output.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa

from pahna.intake.base import Datagram
from pahna.intake.dispatch import FlowDecoder, warm_up
from pahna.intake.netflow.encoder import encode_v9
from pahna.schema import FLOW_SCHEMA, IPV4_MAPPED_PREFIX

EXPORT_MS = 1_760_000_000_000
TICKS = os.sysconf("SC_CLK_TCK")


def make_flows(count: int, first: int = 0) -> pa.Table:
    numbers = range(first, first + count)
    return pa.Table.from_pydict({
        "exporter": [bytes(16)] * count, "observation_domain": [0] * count,
        "src_addr": [IPV4_MAPPED_PREFIX + (0x0A000000 + n).to_bytes(4, "big") for n in numbers],
        "dst_addr": [IPV4_MAPPED_PREFIX + bytes([192, 0, 2, n % 250]) for n in numbers],
        "src_port": [n % 65536 for n in numbers], "dst_port": [443] * count,
        "protocol": [6] * count, "bytes": [1500 * (n % 7 + 1) for n in numbers],
        "packets": [1] * count, "start_ms": [EXPORT_MS - 5000] * count,
        "end_ms": [EXPORT_MS - 1000] * count, "sampling_rate": [1] * count,
        "input_if": [1] * count, "output_if": [2] * count, "direction": [0] * count,
        "src_as": [0] * count, "dst_as": [0] * count, "batch_id": [""] * count,
    }, schema=FLOW_SCHEMA)


def make_stream(count: int) -> list[bytes]:
    """NetFlow v9 packets of 20 records, the template refreshed every 100 packets."""
    packets: list[bytes] = []
    for first in range(0, count, 2000):
        chunk = make_flows(min(2000, count - first), first)
        packets += encode_v9(chunk, EXPORT_MS, 10**8, first_sequence=len(packets))
    return packets


def pahna_decode(stream: list[bytes], batch: int = 5000) -> tuple[int, float]:
    warm_up()
    decoder = FlowDecoder()
    exporter = IPV4_MAPPED_PREFIX + bytes([127, 0, 0, 1])
    records = 0
    started = time.process_time()
    for start in range(0, len(stream), batch):
        datagrams = [Datagram(exporter, p, EXPORT_MS) for p in stream[start : start + batch]]
        records += decoder.decode(datagrams, "bench").flows.num_rows
    return records, time.process_time() - started


def send(stream: list[bytes], port: int, rate: float, host: str = "127.0.0.1") -> float:
    """Send every packet at `rate` packets/s; returns the seconds it took."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        started = time.perf_counter()
        for index, packet in enumerate(stream):
            due = started + index / rate
            while time.perf_counter() < due:
                pass
            sock.sendto(packet, (host, port))
        return time.perf_counter() - started


def cpu_seconds(root: int) -> float:
    """User + system CPU of a process and all its descendants (from /proc)."""
    total, pending = 0.0, [root]
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    while pending:
        pid = pending.pop()
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / TICKS
        pending += children.get(pid, [])
    return total


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


PIN: set[int] | None = None
"""--cpu: the core that pahna's decoding and the peer daemons run on (the sender stays off it)."""


def _pin_daemon() -> None:
    if PIN is not None:
        os.sched_setaffinity(0, PIN)


def run_daemon(args: list[str], stream: list[bytes], port: int, rate: float,
               ) -> tuple[subprocess.Popen[bytes], float]:
    daemon = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              preexec_fn=_pin_daemon)
    time.sleep(1.5)
    idle = cpu_seconds(daemon.pid)
    send(stream, port, rate)
    time.sleep(1.5)
    busy = cpu_seconds(daemon.pid) - idle
    return daemon, busy


def nfcapd(stream: list[bytes], rate: float, work: Path) -> tuple[int, float] | None:
    if not shutil.which("nfcapd"):
        return None
    port, folder = free_udp_port(), work / "nfcapd"
    folder.mkdir(parents=True)
    daemon, busy = run_daemon(["nfcapd", "-b", "127.0.0.1", "-p", str(port), "-w", str(folder),
                               "-t", "3600", "-B", str(64 << 20)], stream, port, rate)
    daemon.send_signal(signal.SIGTERM)
    daemon.wait(timeout=30)
    out = subprocess.run(["nfdump", "-R", str(folder), "-q", "-o", "csv"], capture_output=True,
                         text=True, check=False).stdout
    records = sum(1 for line in out.splitlines() if line and line[0].isdigit())
    return records, busy


def nfacctd(stream: list[bytes], rate: float, work: Path) -> tuple[int, float] | None:
    binary = shutil.which("nfacctd") or "/usr/sbin/nfacctd"
    if not Path(binary).exists():
        return None
    work.mkdir(parents=True, exist_ok=True)
    port, output = free_udp_port(), work / "nfacctd.csv"
    conf = work / "nfacctd.conf"
    conf.write_text("\n".join([
        "daemonize: false", "nfacctd_ip: 127.0.0.1", f"nfacctd_port: {port}",
        "nfacctd_pipe_size: 67108864", "plugins: print[p]",
        "aggregate[p]: src_host, dst_host, src_port, dst_port, proto",
        "print_output[p]: csv", f"print_output_file[p]: {output}", "print_refresh_time[p]: 3600",
        "print_output_file_append[p]: true",
        "plugin_pipe_size[p]: 67108864", "plugin_buffer_size[p]: 65536", ""]))
    daemon, busy = run_daemon([binary, "-f", str(conf)], stream, port, rate)
    daemon.send_signal(signal.SIGINT)
    daemon.wait(timeout=60)
    lines = output.read_text().splitlines() if output.exists() else []
    packets_column = lines[0].split(",").index("PACKETS") if lines else 0
    records = sum(int(line.split(",")[packets_column]) for line in lines
                  if line and line[0].isdigit())
    return records, busy


def collector_lossless(stream: list[bytes], rates: list[float], work: Path,
                       ) -> list[tuple[float, int, int, int]]:
    """(achieved packets/s, records sent, records stored, peak RSS KiB) per rate tried."""
    results = []
    for step, rate in enumerate(rates):
        home = work / f"collect-{step}"
        subprocess.run([sys.executable, "-m", "pahna", "init", "--home", str(home)], check=True,
                       capture_output=True)
        port = free_udp_port()
        daemon = subprocess.Popen(
            [sys.executable, "-m", "pahna", "collect", "--home", str(home), "--listen",
             f"127.0.0.1:{port}", "--flush-interval", "1"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert daemon.stderr is not None
        while not daemon.stderr.readline().startswith("listening"):
            pass
        achieved = len(stream) / send(stream, port, rate)
        time.sleep(2.5)
        peak = _peak_rss(daemon.pid)
        daemon.send_signal(signal.SIGTERM)
        out, _ = daemon.communicate(timeout=60)
        stored = sum(c["records"] for c in json.loads(out).values())
        results.append((achieved, len(stream) * 20, stored, peak))
    return results


def _peak_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--flows", type=int, default=600_000)
    parser.add_argument("--daemon-rate", type=float, default=5_000,
                        help="packets/s sent to nfcapd and nfacctd (paced to lose nothing)")
    parser.add_argument("--rates", default="10000,20000,40000,80000,160000")
    parser.add_argument("--repeat", type=int, default=3, help="runs per decoder (median)")
    parser.add_argument("--cpu", type=int, default=None,
                        help="pin pahna's decoding and the peer daemons to this core")
    parser.add_argument("--decode-only", action="store_true",
                        help="skip the `pahna collect` rates and memory")
    args = parser.parse_args()
    global PIN
    every = os.sched_getaffinity(0)
    PIN = None if args.cpu is None else {args.cpu}
    stream = make_stream(args.flows)
    print(f"stream: {args.flows} flows in {len(stream)} NetFlow v9 packets "
          f"({sum(map(len, stream)) / 1e6:.1f} MB)")
    if PIN is not None:
        os.sched_setaffinity(0, PIN)
    runs = [pahna_decode(stream) for _ in range(args.repeat)]
    os.sched_setaffinity(0, every - PIN if PIN and every - PIN else every)
    records, seconds = sorted(runs, key=lambda r: r[0] / r[1])[len(runs) // 2]
    pahna_rate = records / seconds
    print(f"pahna decode   : {records} records in {seconds:.2f} CPU s = {pahna_rate:,.0f} rec/s "
          f"(median of {args.repeat}: {', '.join(f'{r / s:,.0f}' for r, s in runs)})")
    with tempfile.TemporaryDirectory(prefix="pahna-bench-") as tmp:
        for name, peer in (("nfcapd", nfcapd), ("nfacctd", nfacctd)):
            results = [peer(stream, args.daemon_rate, Path(tmp) / f"{name}-{i}")
                       for i in range(args.repeat)]
            if results[0] is None:
                print(f"{name:<15}: not installed")
                continue
            done = [r for r in results if r is not None and r[1] > 0]
            got, cpu = sorted(done, key=lambda r: r[0] / r[1])[len(done) // 2]
            rate = got / cpu
            print(f"{name:<15}: {got} records in {cpu:.2f} CPU s = {rate:,.0f} rec/s "
                  f"(pahna x{pahna_rate / rate:.2f}; median of "
                  f"{', '.join(f'{r / c:,.0f}' for r, c in done)})")
        os.sched_setaffinity(0, every)
        if not args.decode_only:
            report_collector(stream, [float(r) for r in args.rates.split(",")], Path(tmp))


def report_collector(stream: list[bytes], rates: list[float], work: Path) -> None:
    short = stream[: min(len(stream), 4000)]
    print(f"pahna collect, {len(short)} packets ({len(short) * 20:,} records) per rate:")
    best = 0.0
    for rate, sent, stored, peak in collector_lossless(short, rates, work):
        lossless = stored == sent
        best = rate if lossless and rate > best else best
        print(f"  {rate:>8,.0f} packets/s ({rate * 20:>10,.0f} rec/s): stored {stored}/{sent}"
              f" {'lossless' if lossless else 'LOSS'}; peak RSS {peak / 1024:.0f} MiB")
    print(f"highest lossless rate achieved: {best:,.0f} packets/s = {best * 20:,.0f} records/s")
    for size in (len(stream) // 2, len(stream)):  # both last several flush intervals
        for rate, sent, stored, peak in collector_lossless(stream[:size], [10_000],
                                                           work / f"long-{size}"):
            print(f"memory: {size} packets ({sent:,} records) at {rate:,.0f} packets/s: "
                  f"stored {stored}/{sent}, peak RSS {peak / 1024:.0f} MiB")

if __name__ == "__main__":
    main()
