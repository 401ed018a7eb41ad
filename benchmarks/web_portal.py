"""Web benchmark: a settled month for 1,000 producers, the portal under 20 clients.

    PYTHONPATH=src python benchmarks/web_portal.py [--producers 1000] [--flows 1000000]
        [--duration 15] [--connections 20] [--home DIR]

Builds a workspace (registry of N producers in all 31 provinces, a month of flows written
to the Parquet store, settled with DuckDB), starts `pahna serve` as a subprocess on
127.0.0.1, and drives it with Debian's `wrk` (a Lua script picks a random producer per
request and reports the 95th percentile). Prints latency percentiles and throughput per
page, next to two peers measured in the same run: the portal's static CSS (the floor of
the stack) and the cold computation a page would pay without the snapshot cache.
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
import time
import urllib.parse
import urllib.request
from pathlib import Path

from pahna.calendar import JalaliMonth
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
request = function()
  local path = string.gsub("%(path)s", "{id}", ids[math.random(#ids)])
  return wrk.format("GET", path)
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT p50_ms=%%.1f p95_ms=%%.1f p99_ms=%%.1f requests=%%d "
    .. "errors=%%d non2xx=%%d\\n", latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout, summary.errors.status))
end
"""


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


def start_server(home: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
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


def log_in(base: str) -> str:
    """A session cookie for the admin, through the real login form."""
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
        cookie = redirect.headers["set-cookie"].split(";")[0]
        return f"{cookie}; pahna_csrf={csrf}"
    raise SystemExit("login did not redirect")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def run_wrk(base: str, path: str, ids: list[str], cookie: str, seconds: int,
            connections: int, scratch: Path) -> dict[str, float]:
    script = scratch / "bench.lua"
    script.write_text(LUA % {"ids": ", ".join(f'"{i}"' for i in ids), "path": path})
    result = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", str(script),
         "-H", f"Cookie: {cookie}", base], capture_output=True, text=True, check=True)
    line = next(ln for ln in result.stdout.splitlines() if ln.startswith("RESULT"))
    figures = {k: float(v) for k, v in (part.split("=") for part in line.split()[1:])}
    figures["rps"] = figures["requests"] / seconds
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--producers", type=int, default=1000)
    parser.add_argument("--flows", type=int, default=1_000_000)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--port", type=int, default=18080)
    parser.add_argument("--home", type=Path, default=None)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk")
    scratch = Path(tempfile.mkdtemp(prefix="pahna-web-bench-"))
    home = args.home or scratch / "home"
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
    process = start_server(home, args.port)
    try:
        base = f"http://127.0.0.1:{args.port}"
        cookie = log_in(base)
        ids = [f"p{i:04d}" for i in range(args.producers)]
        for path in ("/overview", "/producers/p0000"):
            urllib.request.urlopen(urllib.request.Request(base + path,
                                                          headers={"Cookie": cookie}))
        pages = (("static CSS (peer: floor)", "/static/app.css"),
                 ("national overview", "/overview"),
                 ("producer page (random of N)", "/producers/{id}"),
                 ("producer usage API (random of N)", "/api/producers/{id}/usage"))
        print(f"{'page':36} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'req/s':>8} "
              f"{'errors':>6}  ({args.connections} clients, {args.duration} s each)")
        for label, path in pages:
            f = run_wrk(base, path, ids, cookie, args.duration, args.connections, scratch)
            print(f"{label:36} {f['p50_ms']:8.1f} {f['p95_ms']:8.1f} {f['p99_ms']:8.1f} "
                  f"{f['rps']:8.0f} {int(f['errors'] + f['non2xx']):6d}")
    finally:
        process.terminate()
        process.wait(timeout=20)


if __name__ == "__main__":
    main()
