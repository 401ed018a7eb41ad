"""Round trips for the five format families `test_weblog_roundtrip.py` leaves out:
CloudFront standard logs, Apache Traffic Server (squid format), HAProxy `option httplog`,
varnishncsa's default format and nginx `escape=json`. Random requests are written as
each product writes them (its separators, escaping, time format, byte field), read back
by pahna: the same host, path, client, time, status, bytes (and user agent where the
format carries one) come out."""

from __future__ import annotations

import ipaddress
import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.property.test_weblog_roundtrip import (
    AGENT,
    PLAIN_AGENT,
    apache_escape,
    clf,
    read_back,
    request,
    target,
)

from pahna.intake.weblog.w3c import CLOUDFRONT_FIELDS
from pahna.schema import address_to_text


def iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


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


WRITERS = {  # format, writer, options, agents it can write, whether it logs the agent
    "cloudfront": ("cloudfront", cloudfront_line, {}, PLAIN_AGENT, True),
    "trafficserver": ("trafficserver-squid", trafficserver_line, {}, AGENT, False),
    "haproxy": ("haproxy-http", haproxy_line, {"timezone": "UTC"}, AGENT, False),
    "varnishncsa": ("varnishncsa", varnish_line, {}, AGENT, True),
    "nginx-json": (NGINX_JSON, nginx_json_line, {}, AGENT, True),
}


def check(tmp_path: Path, name: str, requests: list[dict[str, object]]) -> None:
    fmt, writer, options, _, agent = WRITERS[name]
    records = read_back(tmp_path, fmt, "".join(writer(r) + "\n" for r in requests), options)
    assert len(records) == len(requests)
    for r, got in zip(requests, records, strict=True):
        assert (got["host"], got["path"], got["status"], got["bytes"], got["time_ms"]) == (
            r["host"], target(r), r["status"], r["bytes"], r["seconds"] * 1000)
        assert ipaddress.ip_address(address_to_text(got["client_addr"])) == \
            ipaddress.ip_address(r["client"])
        if agent:
            assert got["user_agent"] == r["agent"]


def _case(name: str):  # type: ignore[no-untyped-def]
    @settings(max_examples=60, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(requests=st.lists(request(WRITERS[name][3]), min_size=1, max_size=8))
    def test(tmp_path: Path, requests: list[dict[str, object]]) -> None:
        check(tmp_path, name, requests)
    return test


test_cloudfront_round_trip = _case("cloudfront")
test_trafficserver_round_trip = _case("trafficserver")
test_haproxy_round_trip = _case("haproxy")
test_varnishncsa_round_trip = _case("varnishncsa")
test_nginx_json_round_trip = _case("nginx-json")
