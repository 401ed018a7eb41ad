"""Random requests written as each product writes them (its escaping, its time format,
its byte fields), read back by pahna: the same host, path, client, time, status, bytes
and user agent (where the format logs one) come out. Every format family: nginx
(combined and escape=json), Apache, varnishncsa, W3C (IIS and CloudFront), Squid,
Traffic Server, HAProxy, Cloudflare and Fastly."""

from __future__ import annotations

import ipaddress
import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pahna.intake.weblog.presets import resolve_format
from pahna.intake.weblog.reader import content_digest, scan_file
from pahna.intake.weblog.scan import ScanOptions
from pahna.intake.weblog.w3c import CLOUDFRONT_FIELDS
from pahna.schema import address_to_text

SEGMENT = st.text("abcz09-_" + "فیلمخبر", min_size=1, max_size=8)
AGENT = st.text("abcXYZ019 ;()/.,=\"\\", min_size=1, max_size=30).map(str.strip).filter(bool)
PLAIN_AGENT = st.text("abcXYZ019;()/.,=", min_size=1, max_size=30)
IPV4 = st.ip_addresses(v=4).map(str)
IPV6 = st.ip_addresses(v=6).filter(lambda a: a.ipv4_mapped is None).map(str)


def request(agent: st.SearchStrategy[str] = AGENT) -> st.SearchStrategy[dict[str, object]]:
    return st.fixed_dictionaries({
        "client": st.one_of(IPV4, IPV6),
        "host": st.sampled_from(["www.example.ir", "video.example.ir", "a.b.example.com"]),
        "path": st.lists(SEGMENT, min_size=1, max_size=3).map(lambda s: "/" + "/".join(s)),
        "status": st.sampled_from([200, 206, 304, 404, 499, 500]),
        "bytes": st.integers(0, 2**40),
        "seconds": st.integers(1_600_000_000, 1_900_000_000),
        "agent": agent,
    })


def clf(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")


def iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def nginx_escape(text: str) -> str:
    return "".join(f"\\x{b:02X}" if b in (0x22, 0x5C) or b < 32 or b > 126 else chr(b)
                   for b in text.encode("utf-8"))


def apache_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def target(r: dict[str, object]) -> str:
    return quote(str(r["path"]), safe="/")


def nginx_line(r: dict) -> str:  # type: ignore[type-arg]
    return (f'{r["client"]} - - [{clf(r["seconds"])}] "GET {target(r)} HTTP/1.1" {r["status"]} '
            f'{r["bytes"]} "-" "{nginx_escape(r["agent"])}" "{r["host"]}"')


def apache_line(r: dict) -> str:  # type: ignore[type-arg]
    body = "-" if r["bytes"] == 0 else r["bytes"]
    return (f'{r["client"]} - - [{clf(r["seconds"])}] "GET {target(r)} HTTP/1.1" {r["status"]} '
            f'{body} "-" "{apache_escape(r["agent"])}" 100 {r["bytes"]} {r["host"]}')


def cloudflare_line(r: dict) -> str:  # type: ignore[type-arg]
    return json.dumps({"ClientIP": r["client"], "ClientRequestHost": r["host"],
                       "ClientRequestURI": target(r), "EdgeResponseBytes": r["bytes"],
                       "EdgeResponseStatus": r["status"], "ClientRequestUserAgent": r["agent"],
                       "EdgeStartTimestamp": r["seconds"] * 10**9}, ensure_ascii=False)


def fastly_line(r: dict) -> str:  # type: ignore[type-arg]
    return json.dumps({"timestamp": iso(r["seconds"]), "client_ip": r["client"],
                       "host": r["host"], "url": target(r), "request_user_agent": r["agent"],
                       "response_status": r["status"], "response_body_size": r["bytes"],
                       "fastly_is_edge": True})


def squid_line(r: dict) -> str:  # type: ignore[type-arg]
    return (f'{r["seconds"]}.000 12 {r["client"]} TCP_MISS/{r["status"]} {r["bytes"]} GET '
            f'http://{r["host"]}{target(r)} - HIER_DIRECT/192.0.2.1 text/html')


def iis_line(r: dict) -> str:  # type: ignore[type-arg]
    when = datetime.fromtimestamp(r["seconds"], UTC)
    return (f'{when:%Y-%m-%d %H:%M:%S} GET {target(r)} - {r["client"]} '
            f'{r["agent"].replace(" ", "+")} {r["host"]} {r["status"]} {r["bytes"]}')


def cloudfront_line(r: dict) -> str:  # type: ignore[type-arg]
    """Tab-separated, in CLOUDFRONT_FIELDS' order; the user agent URL-encoded as
    CloudFront does (no spaces, no tabs); cs(Host) is the distribution's name and
    x-host-header the viewer's."""
    when = datetime.fromtimestamp(r["seconds"], UTC)
    values = {
        "date": f"{when:%Y-%m-%d}", "time": f"{when:%H:%M:%S}", "x-edge-location": "IKA50-C1",
        "sc-bytes": str(r["bytes"]), "c-ip": r["client"], "cs-method": "GET",
        "cs(Host)": "d111111abcdef8.cloudfront.net", "cs-uri-stem": target(r),
        "sc-status": str(r["status"]), "cs(Referer)": "-",
        "cs(User-Agent)": quote(str(r["agent"]), safe="/();,="), "cs-uri-query": "-",
        "cs(Cookie)": "-", "x-edge-result-type": "Hit", "x-edge-request-id": "abc==",
        "x-host-header": r["host"], "cs-protocol": "https", "cs-bytes": "200",
        "time-taken": "0.002", "x-forwarded-for": "-", "ssl-protocol": "TLSv1.3",
        "ssl-cipher": "TLS_AES_128_GCM_SHA256", "x-edge-response-result-type": "Hit",
        "cs-protocol-version": "HTTP/2.0", "fle-status": "-", "fle-encrypted-fields": "-",
        "c-port": "11040", "time-to-first-byte": "0.001",
        "x-edge-detailed-result-type": "Hit", "sc-content-type": "video/mp4",
        "sc-content-len": "-", "sc-range-start": "-", "sc-range-end": "-"}
    return "\t".join(values[name] for name in CLOUDFRONT_FIELDS.split())


def trafficserver_line(r: dict) -> str:  # type: ignore[type-arg]
    """`%<cqtq> %<ttms> %<chi> %<crc>/%<pssc> %<psql> %<cqhm> %<cquc> %<caun>
    %<phr>/%<pqsn> %<psct> %<xid>`."""
    return (f'{r["seconds"]}.000 12 {r["client"]} TCP_HIT/{r["status"]} {r["bytes"]} GET '
            f'http://{r["host"]}{target(r)} - NONE/- text/html 0')


def haproxy_line(r: dict) -> str:  # type: ignore[type-arg]
    """`option httplog` behind a syslog header, the host captured ({...}), the request
    quoted; the accept date with milliseconds (in UTC here: --timezone UTC)."""
    when = datetime.fromtimestamp(r["seconds"], UTC)
    return (f'{when:%b} {when.day:2d} {when:%H:%M:%S} localhost haproxy[14389]: '
            f'{r["client"]}:33317 [{when:%d/%b/%Y:%H:%M:%S}.000] http-in static/srv1 '
            f'10/0/30/69/109 {r["status"]} {r["bytes"]} - - ---- 1/1/1/1/0 0/0 '
            f'{{{r["host"]}}} {{}} "GET {target(r)} HTTP/1.1"')


def varnish_line(r: dict) -> str:  # type: ignore[type-arg]
    """varnishncsa's default -F: %r carries the absolute URL (the host), %b writes "-"
    for no body."""
    body = "-" if r["bytes"] == 0 else r["bytes"]
    return (f'{r["client"]} - - [{clf(r["seconds"])}] "GET http://{r["host"]}{target(r)} '
            f'HTTP/1.1" {r["status"]} {body} "-" "{apache_escape(str(r["agent"]))}"')


NGINX_JSON = ("log_format j escape=json '{\"time\":\"$time_iso8601\",\"addr\":"
              "\"$remote_addr\",\"host\":\"$host\",\"req\":\"$request\",\"status\":"
              "$status,\"sent\":$bytes_sent,\"ua\":\"$http_user_agent\"}';")


def nginx_json_line(r: dict) -> str:  # type: ignore[type-arg]
    """escape=json: quotes, backslashes and control characters escaped, UTF-8 kept."""
    text = json.dumps(str(r["agent"]), ensure_ascii=False)[1:-1]
    return ('{"time":"' + iso(r["seconds"]) + '","addr":"' + str(r["client"]) + '","host":"'
            + str(r["host"]) + '","req":"GET ' + target(r) + ' HTTP/1.1","status":'
            + str(r["status"]) + ',"sent":' + str(r["bytes"]) + ',"ua":"' + text + '"}')


IIS_FIELDS = ("#Fields: date time cs-method cs-uri-stem cs-uri-query c-ip cs(User-Agent) "
              "cs-host sc-status sc-bytes")
NGINX = ('$remote_addr - $remote_user [$time_local] "$request" $status $bytes_sent '
         '"$http_referer" "$http_user_agent" "$host"')
APACHE = 'apache:%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" %I %O %{Host}i'

WRITERS = {  # format, writer, header, options, the agents it can write
    "nginx": (NGINX, nginx_line, "", {}, AGENT),
    "apache": (APACHE, apache_line, "", {}, AGENT),
    "cloudflare": ("cloudflare", cloudflare_line, "", {}, AGENT),
    "fastly": ("fastly", fastly_line, "", {}, AGENT),
    "squid": ("squid", squid_line, "", {}, AGENT),
    "w3c": ("w3c", iis_line, IIS_FIELDS + "\n", {}, PLAIN_AGENT),
    "cloudfront": ("cloudfront", cloudfront_line, "", {}, PLAIN_AGENT),
    "trafficserver": ("trafficserver-squid", trafficserver_line, "", {}, AGENT),
    "haproxy": ("haproxy-http", haproxy_line, "", {"timezone": "UTC"}, AGENT),
    "varnishncsa": ("varnishncsa", varnish_line, "", {}, AGENT),
    "nginx-json": (NGINX_JSON, nginx_json_line, "", {}, AGENT),
}
NO_AGENT = ("squid", "trafficserver", "haproxy")
"""Formats whose lines carry no user agent."""


def read_back(folder: Path, fmt: str, text: str, options: dict[str, str]
              ) -> list[dict[str, object]]:
    path = folder / "log"
    path.write_text(text, encoding="utf-8")
    out = []
    for part in scan_file(path, resolve_format(fmt), ScanOptions(**options), "b",
                          content_digest(path).hexdigest):
        assert part.rejected == [], part.rejected
        out += part.records.to_pylist()
    return out


def check(tmp_path: Path, name: str, requests: list[dict[str, object]]) -> None:
    fmt, writer, header, options, _ = WRITERS[name]
    records = read_back(tmp_path, fmt, header + "".join(writer(r) + "\n" for r in requests),
                        options)
    assert len(records) == len(requests)
    for r, got in zip(requests, records, strict=True):
        assert (got["host"], got["path"], got["status"], got["bytes"], got["time_ms"]) == (
            r["host"], target(r), r["status"], r["bytes"], r["seconds"] * 1000)
        assert ipaddress.ip_address(address_to_text(got["client_addr"])) == \
            ipaddress.ip_address(r["client"])
        if name not in NO_AGENT:
            assert got["user_agent"] == r["agent"]


def _case(name: str):  # type: ignore[no-untyped-def]
    @settings(max_examples=60, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(requests=st.lists(request(WRITERS[name][4]), min_size=1, max_size=8))
    def test(tmp_path: Path, requests: list[dict[str, object]]) -> None:
        check(tmp_path, name, requests)
    return test


test_nginx_round_trip = _case("nginx")
test_apache_round_trip = _case("apache")
test_cloudflare_round_trip = _case("cloudflare")
test_fastly_round_trip = _case("fastly")
test_squid_round_trip = _case("squid")
test_w3c_round_trip = _case("w3c")
test_cloudfront_round_trip = _case("cloudfront")
test_trafficserver_round_trip = _case("trafficserver")
test_haproxy_round_trip = _case("haproxy")
test_varnishncsa_round_trip = _case("varnishncsa")
test_nginx_json_round_trip = _case("nginx-json")
