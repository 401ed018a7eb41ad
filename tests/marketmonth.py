"""A small hand-made final month for the content market's tests.

An operator `cdn` (prefix 185.50.0.0/16) carries `film-house` (Qom), whose two items are
claimed by host and path; `radio-b` (Tehran) serves its item from its own server (logs
alone). Every request is on 1404-08-04 at 10:00 Tehran time, in one traffic class.

cdn's edge log: /video/1 600 bytes and /video/2 300 bytes from 5.1.1.10 and 5.1.1.20 (one
/24), /news/1 100 bytes from 5.2.2.1, and Googlebot on /video/3 1,000 bytes (automated).
cdn's flows that day: 2,041 bytes. radio-b's own log: /live 500 bytes from 5.4.4.1, 250
and 50 bytes from 2001:db8:1::1 and 2001:db8:1:0:ff::2 (one /48).

Worked by hand (the module doc of pahna.market.figures): cdn's 2,041 bytes are shared by
log bytes, film-house 1,000 against the automated 1,000: 1,020.5 each, the odd byte to
the smaller key ("film-house" before "~automated"), so film-house has 1,021. Its items by
their log bytes, 900 and 100: 918.9 and 102.1, the floors 918 + 102 = 1,020, the last byte
to the larger remainder: `kino` 919, `akhbar` 102. `radio-b`'s `live-radio`: 500 + 250 + 50
= 800 bytes. Client networks: kino 1 (the bot is not counted), akhbar 1, live-radio 2.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import tomli_w
from tests.flowgen import Flow, flow_table

from pahna.calendar import JalaliMonth
from pahna.intake.weblog.presets import resolve_format
from pahna.intake.weblog.scan import ScanOptions
from pahna.parties import ContentItem, Producer
from pahna.pipeline import finalize, ingest_log_file
from pahna.registry.catalogue import put_item
from pahna.registry.claimbook import ClaimSpec
from pahna.registry.claims import add_claims
from pahna.registry.database import open_registry
from pahna.registry.producers import add_producer
from pahna.store.writer import write_batch
from pahna.workspace import Workspace

PERIOD = "1404-08"
MONTH = JalaliMonth(1404, 8)
AT = MONTH.start_ms + 3 * 86_400_000 + 10 * 3_600_000
EXPECTED = {"kino": (919, 1), "akhbar": (102, 1), "live-radio": (800, 2)}
NGINX = ('nginx:$remote_addr - $remote_user [$time_local] "$request" $status $bytes_sent '
         '"$http_referer" "$http_user_agent" "$host"')
PERSON = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
TARIFF = {"id": "content", "version": 1, "valid_from": "1404-01", "pool_minor": 10**9,
          "volume": {"rate_per_gb": "1000000", "billed_classes": ["domestic",
                                                                   "international"]},
          "content": {"tolerance": "0.05"}}
ITEMS = (ContentItem("kino", "film-house", "Kino", "کینو", "video", "fa", "IR-25"),
         ContentItem("akhbar", "film-house", "=News", "اخبار", "news", "fa", "IR-25"),
         ContentItem("live-radio", "radio-b", "Live radio", "رادیو زنده", "audio", "fa",
                     "IR-23"),
         ContentItem("quiet", "radio-b", "Quiet", "آرام", "audio", "fa", "IR-23"))


def _line(client: str, host: str, path: str, size: int, agent: str = PERSON) -> str:
    stamp = datetime.fromtimestamp(AT / 1000, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")
    return (f'{client} - - [{stamp}] "GET {path} HTTP/1.1" 200 {size} "-" "{agent}" '
            f'"{host}"\n')


def _registry(workspace: Workspace) -> None:
    engine = open_registry(workspace.registry_url)
    for pid, province, role in (("cdn", "IR-23", "operator"), ("film-house", "IR-25",
                                                                "producer"),
                                ("radio-b", "IR-23", "producer")):
        add_producer(engine, Producer(pid, pid.title(), "", province, "private_company",
                                      role=role))
    for item in ITEMS:
        put_item(engine, item)
    start = JalaliMonth(1404, 1).start_ms
    add_claims(engine, [
        ClaimSpec("cdn", "prefix", "185.50.0.0/16", start, None),
        ClaimSpec("film-house", "host", "film.example.ir/video", start, None, "kino"),
        ClaimSpec("film-house", "host", "film.example.ir/news", start, None, "akhbar"),
        ClaimSpec("radio-b", "host", "radio.example.ir", start, None, "live-radio")])


def build_market_workspace(workspace: Workspace) -> Workspace:
    """Register, store flows and logs, settle and finalize the month (no figures built)."""
    _registry(workspace)
    (workspace.tariffs_dir / "content.toml").write_text(tomli_w.dumps(TARIFF))
    flows = [Flow("185.50.1.1", "5.9.9.1", 1_000, AT), Flow("185.50.1.1", "5.9.9.2", 1_041, AT)]
    write_batch(workspace.store_dir, flow_table(flows), "test",
                hashlib.sha256(b"market-flows").hexdigest())
    spec = resolve_format(NGINX)
    logs = {"cdn": [_line("5.1.1.10", "film.example.ir", "/video/1", 600),
                    _line("5.1.1.20", "film.example.ir", "/video/2", 300),
                    _line("5.2.2.1", "film.example.ir", "/news/1", 100),
                    _line("5.9.9.9", "film.example.ir", "/video/3", 1_000, BOT)],
            "": [_line("5.4.4.1", "radio.example.ir", "/live", 500),
                 _line("2001:db8:1::1", "radio.example.ir", "/live", 250),
                 _line("2001:db8:1:0:ff::2", "radio.example.ir", "/live", 50)]}
    for operator, lines in logs.items():
        path = Path(workspace.home) / f"{operator or 'own'}.log"
        path.write_text("".join(lines), encoding="utf-8")
        ingest_log_file(workspace, path, spec, ScanOptions(operator=operator))
    finalize(workspace, PERIOD)
    return workspace
