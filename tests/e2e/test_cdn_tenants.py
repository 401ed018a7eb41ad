"""Producers behind CDNs, end to end through the CLI: a generated month where two CDN
operators' flows carry several producers, with the access logs of their edges.

Flows for totals, logs for shares: each tenant's bytes must equal a share computed here,
independently of pahna, from the generated flows and log lines (largest remainder per
operator, Tehran day and traffic class); the shares of a CDN whose logs are all claimed
and human sum to its flow bytes exactly; a CDN whose logs fall 10% short of its flows on
one day has its tenants held through integrity's holds (reason log_flow_gap, both
figures, the tariff's tolerance), released or confirmed by a reviewer; a site served
by no operator counts its logs alone. The same month on Spark settles identically, and a
final of it verifies (its logs sealed with it).
"""

from __future__ import annotations

import json
import random
import shutil
import tomllib
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import tomli_w
from tests.conftest import CliRunner
from tests.flowgen import Flow, flow_table

from pahna.calendar import JalaliMonth
from pahna.intake.ipfix.encoder import encode_flows

pytestmark = pytest.mark.slow
PERIOD = "1404-08"
MONTH = JalaliMonth(1404, 8)
DAY_MS = 86_400_000
DAYS = (0, 3, 9, 17, 29)  # day indices of Aban 1404 with traffic
SHORT_DAY = 9  # cdn-two's logs fall 10% short of its flows on this day
NGINX = ('nginx:$remote_addr - $remote_user [$time_local] "$request" $status $bytes_sent '
         '"$http_referer" "$http_user_agent" "$host"')
BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
PERSON = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/120.0.0.0 Safari/537.36")

# host, path, who the request counts for in this test's own reading of the claims below;
# cdn-one serves claimed hosts to people only, so its tenants' shares sum to its flows
SITES = {
    "cdn-one": [("video.example.ir", "/series/ep1.mp4", "t-video"),
                ("news.example.ir", "/1404/08/khabar", "t-news")],
    "cdn-two": [("edu.example.ir", "/courses/math/1", "t-edu"),
                ("edu.example.ir", "/about", "~unclaimed"),  # outside the /courses claim
                ("radio.example.ir", "/live", "t-radio"),
                ("other.example.ir", "/", "~unclaimed")],
    "": [("blog.example.ir", "/post/1", "t-blog")],  # no operator: logs alone
}
CLAIMS = """producer_id,kind,value,valid_from,valid_to,content_id
cdn-one,prefix,185.50.0.0/16,1404-01-01,,
cdn-two,prefix,185.60.0.0/16,1404-01-01,,
t-video,host,video.example.ir,1404-01-01,,serial
t-news,host,news.example.ir,1404-01-01,,akhbar
t-edu,host,edu.example.ir/courses,1404-01-01,,dars
t-radio,host,radio.example.ir,1404-01-01,,
t-blog,host,blog.example.ir,1404-01-01,,
"""
PRODUCERS = """id,name,name_fa,province,type,zone,iban,role
cdn-one,CDN One,سی‌دی‌ان یک,IR-23,private_company,,,operator
cdn-two,CDN Two,سی‌دی‌ان دو,IR-23,private_company,,,operator
t-video,Video,ویدئو,IR-23,private_company,,,producer
t-news,News,خبر,IR-25,private_company,,,producer
t-edu,Edu,آموزش,IR-25,public_centre,,,producer
t-radio,Radio,رادیو,IR-08,private_company,,,producer
t-blog,Blog,وبلاگ,IR-25,private_company,,,producer
"""
TARIFF = {"id": "content", "version": 1, "valid_from": "1404-01", "pool_minor": 10**12,
          "volume": {"rate_per_gb": "1000000", "billed_classes": ["domestic",
                                                                   "international"]},
          "content": {"tolerance": "0.05"}}


@dataclass(frozen=True)
class Request:
    operator: str
    day: int
    time_ms: int
    client: str
    domestic: bool
    host: str
    path: str
    size: int
    agent: str
    counts_for: str  # tenant id, ~automated or ~unclaimed


def short_day() -> str:
    """The Jalali date of SHORT_DAY (day indices count from the 1st of the month)."""
    return f"{PERIOD}-{SHORT_DAY + 1:02d}"


def generate(rng: random.Random) -> list[Request]:
    out = []
    for operator, sites in SITES.items():
        for day in DAYS:
            noon = MONTH.start_ms + day * DAY_MS + 8 * 3_600_000  # 08:00 Tehran
            for _ in range(rng.randint(40, 70)):
                host, path, who = rng.choice(sites)
                domestic = rng.random() < 0.7
                client = (f"5.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
                          if domestic else f"8.{rng.randint(0, 255)}.{rng.randint(0, 255)}.7")
                bot = rng.random() < 0.1 and operator != "cdn-one"  # cdn-one: people only
                out.append(Request(operator, day, noon + rng.randint(0, 11 * 3_600_000),
                                   client, domestic, host, path, rng.randint(0, 5_000_000),
                                   BOT if bot else PERSON, "~automated" if bot else who))
    return out


def log_line(r: Request) -> str:
    stamp = datetime.fromtimestamp(r.time_ms / 1000, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")
    return (f'{r.client} - - [{stamp}] "GET {r.path} HTTP/1.1" 200 {r.size} "-" '
            f'"{r.agent}" "{r.host}"\n')


def flow_bytes(requests: list[Request]) -> dict[tuple[str, int, bool], int]:
    """What each operator's routers saw per day and class: its edge log bytes (every
    request) and 2% more (within tolerance), or on cdn-two's short day 10/9 of them."""
    logged: dict[tuple[str, int, bool], int] = defaultdict(int)
    for r in requests:
        if r.operator:
            logged[(r.operator, r.day, r.domestic)] += r.size
    return {key: (value * 10 // 9 if key[0] == "cdn-two" and key[1] == SHORT_DAY
                  else value * 102 // 100) for key, value in logged.items()}


def flows_of(totals: dict[tuple[str, int, bool], int], rng: random.Random) -> list[Flow]:
    out = []
    for (operator, day, domestic), total in sorted(totals.items()):
        src = "185.50.1.1" if operator == "cdn-one" else "185.60.9.9"
        third = rng.randint(1, total // 3)
        at = MONTH.start_ms + day * DAY_MS + 12 * 3_600_000
        for i, size in enumerate((third, third, total - 2 * third)):
            dst = f"5.9.9.{i + 1}" if domestic else f"8.9.9.{i + 1}"
            out.append(Flow(src, dst, size, at + i * 60_000))
    return out


def largest_remainder(total: int, weights: dict[str, int]) -> dict[str, int]:
    whole = sum(weights.values())
    floors = {k: total * w // whole for k, w in weights.items()}
    order = sorted(weights, key=lambda k: (-(total * weights[k] % whole), k))
    for key in order[:total - sum(floors.values())]:
        floors[key] += 1
    return floors


def expected_bytes(requests: list[Request], totals: dict[tuple[str, int, bool], int]
                   ) -> dict[str, dict[bool, int]]:
    """Each producer's bytes by class (True: domestic), computed here."""
    weights: dict[tuple[str, int, bool], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    out: dict[str, dict[bool, int]] = defaultdict(lambda: defaultdict(int))
    for r in requests:
        if r.operator:
            weights[(r.operator, r.day, r.domestic)][r.counts_for] += r.size
        elif r.counts_for[0] != "~":
            out[r.counts_for][r.domestic] += r.size
    for key, total in totals.items():
        for who, share in largest_remainder(total, dict(weights[key])).items():
            out[who][key[2]] += share
    return out


def setup_workspace(pahna_cli: CliRunner, tmp_path: Path, requests: list[Request],
                    flows: list[Flow]) -> Path:
    home = tmp_path / "home"
    pahna_cli("init", "--home", str(home))
    (tmp_path / "producers.csv").write_text(PRODUCERS, encoding="utf-8")
    pahna_cli("registry", "import", str(tmp_path / "producers.csv"), "--home", str(home))
    for item, owner in (("serial", "t-video"), ("akhbar", "t-news"), ("dars", "t-edu")):
        pahna_cli("registry", "add-content", item, "--producer", owner, "--title", item,
                  "--category", "video", "--province", "IR-25", "--home", str(home))
    (tmp_path / "claims.csv").write_text(CLAIMS, encoding="utf-8")
    pahna_cli("registry", "import", str(tmp_path / "claims.csv"), "--home", str(home))
    (tmp_path / "domestic.cidr").write_text("5.0.0.0/8\n")
    pahna_cli("domestic", "import", str(tmp_path / "domestic.cidr"), "--from", "1404-01-01",
              "--home", str(home))
    (home / "tariffs" / "content.toml").write_text(tomli_w.dumps(TARIFF))
    export = tmp_path / "flows.ipfix"
    export.write_bytes(b"".join(encode_flows(flow_table(flows, exporter="10.255.0.1"))))
    pahna_cli("ingest", str(export), "--exporter", "10.255.0.1", "--home", str(home))
    for operator in SITES:
        log = tmp_path / f"edge-{operator or 'own'}.log"
        log.write_text("".join(log_line(r) for r in requests if r.operator == operator))
        extra = ["--operator", operator] if operator else []
        stored = json.loads(pahna_cli("ingest", "--log-format", NGINX, *extra, "--json",
                                      str(log), "--home", str(home)).stdout)
        assert stored["logs"][0]["records"] == sum(r.operator == operator for r in requests)
    return home


def settle(pahna_cli: CliRunner, home: Path, engine: str) -> dict:  # type: ignore[type-arg]
    shutil.rmtree(home / "statements" / PERIOD, ignore_errors=True)
    out = pahna_cli("settle", "--period", PERIOD, "--json", "--engine", engine,
                    "--home", str(home), timeout=600).stdout
    document: dict = json.loads(out)  # type: ignore[type-arg]
    return document


def test_cdn_tenants_share_flows_by_logs_on_both_engines(pahna_cli: CliRunner,
                                                         tmp_path: Path) -> None:
    rng = random.Random(14)
    requests = generate(rng)
    totals = flow_bytes(requests)
    home = setup_workspace(pahna_cli, tmp_path, requests, flows_of(totals, rng))
    expected = expected_bytes(requests, totals)

    document = settle(pahna_cli, home, "duckdb")
    lines = {line["producer_id"]: line for line in document["lines"]}
    assert sorted(lines) == ["t-blog", "t-edu", "t-news", "t-radio", "t-video"]  # no CDN
    for pid, line in lines.items():
        assert (line["domestic_bytes"], line["international_bytes"], line["unknown_bytes"]) == (
            expected[pid][True], expected[pid][False], 0), pid
    cdn_one = sum(v for (op, _, _), v in totals.items() if op == "cdn-one")
    assert sum(lines[p]["domestic_bytes"] + lines[p]["international_bytes"]
               for p in ("t-video", "t-news")) == cdn_one

    # cdn-two's short day holds its tenants, with both figures; cdn-one's are paid
    logged = sum(r.size for r in requests if r.operator == "cdn-two" and r.day == SHORT_DAY)
    flown = sum(v for (op, d, _), v in totals.items() if op == "cdn-two" and d == SHORT_DAY)
    assert abs(logged - flown) / flown > 0.095
    for pid in ("t-edu", "t-radio"):  # through integrity's holds: reason, both figures
        assert lines[pid]["holds"] == [{
            "reason": "log_flow_gap", "figure": str(logged), "baseline": str(flown),
            "threshold": "0.050000", "signal": f"operator cdn-two, {short_day()}: log "
            f"bytes against flow bytes ({abs(logged - flown) * 100 / flown:.2f}%)"}]
        assert lines[pid]["amount_minor"] > 0
        page = home / "statements" / PERIOD / "statements" / pid / "statement.html"
        assert "held for review" in page.read_text(encoding="utf-8")
    for pid in ("t-video", "t-news", "t-blog"):
        assert "holds" not in lines[pid] and lines[pid]["payable_minor"] > 0
    # both allocation modes' figures on every line; pro rata (the default) is in force
    assert document["allocation"] == "pro_rata"
    for line in lines.values():
        assert line["amount_minor"] == line["pro_rata_minor"]
        assert line["client_centric_minor"] >= 0
    # the same claims' total, shared differently (each amount rounded on its own)
    assert abs(sum(ln["client_centric_minor"] for ln in lines.values()) - sum(
        ln["pro_rata_minor"] for ln in lines.values())) <= len(lines)
    assert any(ln["client_centric_minor"] != ln["pro_rata_minor"] for ln in lines.values())

    config = tomllib.loads((home / "pahna.toml").read_text())
    config["aggregate"]["spark"].update(master="local[2]", shuffle_partitions=2)
    (home / "pahna.toml").write_text(tomli_w.dumps(config))
    assert settle(pahna_cli, home, "spark") == document

    final = json.loads(pahna_cli("settle", "finalize", "--period", PERIOD, "--json",
                                 "--home", str(home), timeout=600).stdout)
    checked = pahna_cli("settle", "verify", "--period", PERIOD, "--home", str(home)).stdout
    assert "verifies" in checked and final["content_hash"] in checked
    record = json.loads(next((home / "ledger").rglob("final-r1.json")).read_text())
    assert len(record["seal"]["inputs"]["log_manifests"]) == 3
    # a reviewer releases one tenant's hold and confirms the other's, as any hold
    states = ["--period", PERIOD, "--home", str(home)]
    pahna_cli("integrity", "release", "--producer", "t-edu", "--reason",
              "the edge's log rotation lost an hour", *states)
    pahna_cli("integrity", "confirm", "--producer", "t-radio", "--reason", "unexplained",
              *states)
    review = json.loads(pahna_cli("integrity", "--json", *states).stdout)
    assert review["hold_states"] == {"t-edu": "released", "t-radio": "confirmed"}
    # sealed in today's CSV layout (statements rebuild keeps it; both amounts in the CSV)
    assert record["seal"]["inputs"]["statement_layout"] == 2
    summary = home / "statements" / PERIOD / "final-r1" / "summary.csv"
    assert "pro_rata_minor,client_centric_minor" in summary.read_text().splitlines()[0]

    # a log of the final month arriving late is adjustment input: ingest says so, and
    # verify names it and what it would change (t-blog's logs count alone: 7,000,000
    # bytes more at 1,000,000 rials per GB is 7,000 rials more, exactly)
    late = tmp_path / "late.log"
    late.write_text(log_line(Request("", 20, MONTH.start_ms + 20 * DAY_MS + 30_000_000,
                                     "5.1.2.3", True, "blog.example.ir", "/post/2",
                                     7_000_000, PERSON, "t-blog")))
    said = pahna_cli("ingest", "--log-format", NGINX, str(late), "--home", str(home)).stdout
    assert f"{PERIOD} is final: these records count only through an adjustment" in said
    checked = pahna_cli("settle", "verify", "--period", PERIOD, "--home", str(home)).stdout
    notes = [ln for ln in checked.splitlines() if ln.startswith("note: ")]
    assert len(notes) == 2 and "late.log" in notes[0] and "after finalizing" in notes[0]
    assert "t-blog's incentive would change by +7,000 minor units" in notes[1]
    assert "verifies" in checked
