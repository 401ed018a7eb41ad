"""Web benchmark: a settled month for 1,000 producers, the portal under 20 clients.

    PYTHONPATH=src python benchmarks/web_portal.py [--producers 1000] [--flows 1000000]
        [--duration 15] [--connections 20] [--home DIR] [--no-collector]
        [--rate 1000] [--baseline-src OTHER/src] [--rounds 1]

Builds a workspace (registry of N producers in all 31 provinces, a month of flows written
to the Parquet store, settled with DuckDB), starts `pahna serve` as a subprocess on
127.0.0.1, and drives it with Debian's `wrk` (a Lua script picks a random producer per
request and reports the 95th percentile). Prints latency percentiles and throughput per
page, next to two peers measured in the same run: the portal's static CSS (the floor of
the stack) and the cold computation a page would pay without the snapshot cache.

Unless --no-collector, a real `pahna collect` runs on the same workspace the whole time
(flushing every 5 s, its default), fed over loopback UDP with IPFIX flows of the measured
month (`--rate` flows a second, each second's flows new), so the store gains a batch of
that month every 5 seconds while pages are measured; each row says how many batches were
committed while it ran. Errors count every answer that is not 200 (a redirect to the
login page included), connection errors and timeouts, and the log-ins that failed.
With --baseline-src, the portal of another source tree (the code before a change) is
measured on the same workspace, in turn with this one, `--rounds` times.
"""

from __future__ import annotations

import argparse
import hashlib
import ipaddress
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

from pahna.calendar import JalaliMonth
from pahna.demo.exporter import send_flows
from pahna.demo.scenario import DEMO_TARIFF, DemoProducer
from pahna.demo.traffic import generate_month
from pahna.parties import PRODUCER_TYPES, Producer
from pahna.pipeline import settle
from pahna.registry.database import open_registry
from pahna.registry.producers import PrefixClaim, add_prefix_claim, add_producer
from pahna.registry.provinces import PROVINCES
from pahna.store.writer import write_batch
from pahna.web.accounts import Account, add_account
from pahna.web.snapshots import build_snapshot
from pahna.workspace import Workspace, init_workspace

PERIOD = "1404-08"
PASSWORD = "bench-pass-1404"
LUA = """
local ids = {%(ids)s}
local threads = {}
setup = function(thread)
  table.insert(threads, thread)
end
init = function(args)
  not_ok = 0
end
request = function()
  local path = string.gsub("%(path)s", "{id}", ids[math.random(#ids)])
  return wrk.format("GET", path)
end
response = function(status, headers, body)
  if status ~= 200 then
    not_ok = not_ok + 1
  end
end
done = function(summary, latency, requests)
  local not_ok = 0
  for _, thread in ipairs(threads) do
    not_ok = not_ok + thread:get("not_ok")
  end
  io.write(string.format("RESULT p50_ms=%%.1f p95_ms=%%.1f p99_ms=%%.1f max_ms=%%.1f "
    .. "requests=%%d errors=%%d non2xx=%%d\\n", latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout, not_ok))
end
"""
COLLECTOR_PORT = 14739


def bench_producers(count: int) -> list[DemoProducer]:
    out = []
    for i in range(count):
        province = PROVINCES[i % len(PROVINCES)].code
        net = ipaddress.ip_network(f"10.{i // 256}.{i % 256}.0/24")
        out.append(DemoProducer(Producer(f"p{i:04d}", f"Producer {i}", f"تولیدکننده {i}",
                                         province, PRODUCER_TYPES[i % 3]), (net,)))
    return out


def build(home: Path, producers: int, flows: int) -> Workspace:
    workspace = init_workspace(home)
    engine = open_registry(workspace.registry_url)
    start = JalaliMonth.parse("1404-01").start_ms
    chosen = bench_producers(producers)
    for item in chosen:
        add_producer(engine, item.producer, actor="bench")
        add_prefix_claim(engine, PrefixClaim(item.producer.id, item.prefixes[0], start, None),
                         actor="bench")
    (workspace.tariffs_dir / "t.toml").write_text(DEMO_TARIFF, encoding="utf-8")
    table = generate_month(chosen, PERIOD, flows)
    write_batch(workspace.store_dir, table, "bench", hashlib.sha256(b"bench").hexdigest())
    settle(workspace, PERIOD)
    add_account(engine, Account("minister", "admin"), PASSWORD)
    return workspace


def start_server(home: Path, port: int, src: Path) -> subprocess.Popen[bytes]:
    """`pahna serve` on `home`, its code taken from the source tree `src`."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    process = subprocess.Popen([sys.executable, "-m", "pahna", "serve", "--home", str(home),
                                "--port", str(port)], env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/periods", timeout=2)
            return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("pahna serve did not start")


def log_in(base: str) -> str | None:
    """A session cookie for the admin, through the real login form (None: it failed)."""
    opener = urllib.request.build_opener(NoRedirect)
    with opener.open(f"{base}/login") as response:
        csrf = response.headers["set-cookie"].split("pahna_csrf=")[1].split(";")[0]
    body = urllib.parse.urlencode({"username": "minister", "password": PASSWORD,
                                   "csrf_token": csrf}).encode()
    request = urllib.request.Request(f"{base}/login", data=body,
                                     headers={"Cookie": f"pahna_csrf={csrf}"})
    try:
        opener.open(request)
    except urllib.error.HTTPError as redirect:
        if redirect.code in (302, 303) and "pahna_session" in (redirect.headers["set-cookie"]
                                                                or ""):
            cookie = redirect.headers["set-cookie"].split(";")[0]
            return f"{cookie}; pahna_csrf={csrf}"
    return None


def start_collector(home: Path, src: Path) -> subprocess.Popen[bytes]:
    """A real `pahna collect` on the workspace (it flushes every 5 s, its default)."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.Popen([sys.executable, "-m", "pahna", "collect", "--home", str(home),
                             "--listen", f"127.0.0.1:{COLLECTOR_PORT}"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class Sender(threading.Thread):
    """Sends `rate` new flows of the month a second as IPFIX to the collector."""

    def __init__(self, producers: list[DemoProducer], rate: int) -> None:
        super().__init__(daemon=True)
        self.producers, self.rate = producers, rate
        self.stop = threading.Event()
        self.sent = 0

    def run(self) -> None:
        second = time.time_ns() // 1_000_000  # new flows in every run: no duplicates
        while not self.stop.is_set():
            began = time.monotonic()
            flows = generate_month(self.producers, PERIOD, self.rate, seed=second)
            self.sent += send_flows(flows, "127.0.0.1", COLLECTOR_PORT, domain=7)
            second += 1
            self.stop.wait(max(0.0, 1.0 - (time.monotonic() - began)))


def batches(home: Path) -> int:
    folder = home / "store" / "manifests"
    return sum(1 for _ in folder.glob("*.json")) if folder.is_dir() else 0


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def run_wrk(base: str, path: str, ids: list[str], cookie: str, seconds: int,
            connections: int, scratch: Path) -> dict[str, float]:
    script = scratch / "bench.lua"
    script.write_text(LUA % {"ids": ", ".join(f'"{i}"' for i in ids), "path": path})
    result = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "60s",
         "-s", str(script), "-H", f"Cookie: {cookie}", base],
        capture_output=True, text=True, check=True)
    line = next(ln for ln in result.stdout.splitlines() if ln.startswith("RESULT"))
    figures = {k: float(v) for k, v in (part.split("=") for part in line.split()[1:])}
    figures["rps"] = figures["requests"] / seconds
    return figures


PAGES = (("static CSS (peer: floor)", "/static/app.css"),
         ("national overview", "/overview"),
         ("producer page (random of N)", "/producers/{id}"),
         ("producer usage API (random of N)", "/api/producers/{id}/usage"))


def measure(label: str, home: Path, src: Path, args: argparse.Namespace,
            scratch: Path) -> None:
    """Serve `home` with the code of `src` and drive each page in turn."""
    process = start_server(home, args.port, src)
    try:
        base = f"http://127.0.0.1:{args.port}"
        failed, cookie = 0, None
        while cookie is None and failed < 5:
            cookie = log_in(base)
            failed += cookie is None
        if cookie is None:
            raise SystemExit(f"{label}: five log-ins failed")
        ids = [f"p{i:04d}" for i in range(args.producers)]
        for path in ("/overview", "/producers/p0000"):
            urllib.request.urlopen(urllib.request.Request(base + path,
                                                          headers={"Cookie": cookie}))
        print(f"{label}: {'page':36} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} "
              f"{'req/s':>6} {'errors':>6} {'batches':>7}  ({args.connections} clients, "
              f"{args.duration} s each; failed log-ins: {failed})")
        for name, path in PAGES:
            before = batches(home)
            f = run_wrk(base, path, ids, cookie, args.duration, args.connections, scratch)
            print(f"{label}: {name:36} {f['p50_ms']:8.1f} {f['p95_ms']:8.1f} {f['p99_ms']:8.1f} "
                  f"{f['max_ms']:8.1f} {f['rps']:6.0f} {int(f['errors'] + f['non2xx']):6d} "
                  f"{batches(home) - before:7d}", flush=True)
    finally:
        process.terminate()
        process.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--producers", type=int, default=1000)
    parser.add_argument("--flows", type=int, default=1_000_000)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--port", type=int, default=18080)
    parser.add_argument("--home", type=Path, default=None)
    parser.add_argument("--no-collector", dest="collector", action="store_false")
    parser.add_argument("--rate", type=int, default=1000, help="flows a second to collect")
    parser.add_argument("--baseline-src", type=Path, default=None)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk")
    scratch = Path(tempfile.mkdtemp(prefix="pahna-web-bench-"))
    home = args.home or scratch / "home"
    src = Path(__file__).resolve().parents[1] / "src"
    began = time.perf_counter()
    workspace = build(home, args.producers, args.flows) if not (home / "pahna.toml").exists() \
        else None
    print(f"workspace: {args.producers} producers, {args.flows:,} flows, settled "
          f"{PERIOD} in {time.perf_counter() - began:.1f} s ({home})")
    if workspace is not None:
        began = time.perf_counter()
        build_snapshot(workspace, PERIOD)
        print(f"peer, cold: one snapshot build (usage by producer x class x 5-min bin) "
              f"{(time.perf_counter() - began) * 1000:.0f} ms")
    collector = start_collector(home, src) if args.collector else None
    sender = Sender(bench_producers(args.producers), args.rate) if collector else None
    if sender:
        sender.start()
        print(f"collector: pahna collect on 127.0.0.1:{COLLECTOR_PORT}, {args.rate} new flows "
              f"of {PERIOD} a second")
    try:
        for _ in range(args.rounds):
            if args.baseline_src:
                measure("before", home, args.baseline_src.resolve(), args, scratch)
            measure("after " if args.baseline_src else "this", home, src, args, scratch)
    finally:
        if sender:
            sender.stop.set()
            sender.join()
            print(f"sender: {sender.sent:,} datagrams sent")
        if collector:
            collector.terminate()
            collector.wait(timeout=120)


if __name__ == "__main__":
    main()
