"""Every log format, read from lines written by hand after each product's documentation
(not from pahna's output), with the bytes counted by hand: 206 range responses, 304s,
499 partial transfers, "-" for zero bytes, IPv6 clients, escaped quotes and Persian
paths (percent-encoded as browsers send them, and kept so). Expected values are (host,
path, status, bytes counted, body bytes, range request) per line, in order.
"""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import pytest
import zstandard

from pahna.intake.weblog.presets import resolve_format
from pahna.intake.weblog.reader import content_digest, scan_file
from pahna.intake.weblog.scan import ScanOptions
from pahna.schema import address_to_text

FILM = "/%D9%81%DB%8C%D9%84%D9%85"  # "/فیلم": paths are kept percent-encoded (webnames)
T0 = 1760091936000  # 2025-10-10T10:25:36Z = 13:55:36 +03:30

# nginx `combined` (ngx_http_log_module): $body_bytes_sent is all it logs
NGINX_COMBINED = (
    '203.0.113.5 - - [10/Oct/2025:13:55:36 +0330] "GET /video/ep1.mp4 HTTP/1.1" 206 1048576 '
    '"-" "Mozilla/5.0 (X11; Linux x86_64)"\n'
    '2001:db8::7 - alice [10/Oct/2025:13:55:37 +0330] "GET /video/ep1.mp4?start=10 HTTP/2.0" '
    '200 5000 "https://www.example.ir/" "curl/8.4.0"\n'
    '198.51.100.2 - - [10/Oct/2025:13:55:38 +0330] "GET /news/ HTTP/1.1" 304 0 "-" "M"\n'
    '198.51.100.3 - - [10/Oct/2025:13:55:39 +0330] "GET /big.iso HTTP/1.1" 499 1234 "-" "M"\n'
    '198.51.100.4 - - [10/Oct/2025:13:55:40 +0330] "GET /%D9%81%DB%8C%D9%84%D9%85/1 HTTP/1.1" '
    '200 777 "-" "Mozilla/5.0 \\x22quoted\\x22"\n')
# nginx `escape=json`: $bytes_sent (the whole response) is preferred to the body
NGINX_JSON_FORMAT = ("log_format j escape=json '{\"time\":\"$time_iso8601\",\"addr\":"
                     "\"$remote_addr\",\"host\":\"$host\",\"req\":\"$request\",\"status\":"
                     "$status,\"sent\":$bytes_sent,\"body\":$body_bytes_sent,\"ua\":"
                     "\"$http_user_agent\"}';")
NGINX_JSON = (
    '{"time":"2025-10-10T13:55:36+03:30","addr":"203.0.113.5","host":"video.example.ir",'
    '"req":"GET /a.mp4 HTTP/1.1","status":206,"sent":1049000,"body":1048576,'
    '"ua":"Mozilla \\"q\\""}\n'
    '{"time":"2025-10-10T13:55:37+03:30","addr":"2001:db8::7","host":"news.example.ir",'
    '"req":"GET /%D9%81%DB%8C%D9%84%D9%85 HTTP/1.1","status":304,"sent":180,"body":0,'
    '"ua":"curl/8"}\n')
# Apache `combinedio` (mod_logio's %O: every byte sent); %b writes "-" for no body
APACHE_COMBINEDIO = (
    '192.0.2.10 - - [10/Oct/2025:13:55:36 +0330] "GET /a HTTP/1.1" 200 2326 "-" '
    '"Mozilla/5.0 \\"x\\"" 420 2560\n'
    '192.0.2.11 - - [10/Oct/2025:13:55:37 +0330] "GET /b HTTP/1.1" 304 - "-" "M" 400 180\n'
    '2001:db8::1 - - [10/Oct/2025:13:55:38 +0330] "GET /%D9%81%DB%8C%D9%84%D9%85 HTTP/1.1" '
    '206 1000 "-" "M" 450 1300\n')
# Apache `combined`, the example of the httpd log-files documentation, and a 304
APACHE_COMBINED = (
    '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 '
    '"http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"\n'
    '127.0.0.2 - - [10/Oct/2000:13:55:37 -0700] "GET /missing HTTP/1.0" 304 - "-" "M"\n')
# IIS W3C extended (fields from the #Fields directive; spaces written as +)
IIS = (
    "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n"
    "#Date: 2025-10-10 10:25:36\n"
    "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip "
    "cs(User-Agent) cs(Referer) cs-host sc-status sc-substatus sc-win32-status sc-bytes "
    "cs-bytes time-taken\n"
    "2025-10-10 10:25:36 10.0.0.1 GET /default.htm - 80 - 203.0.113.9 "
    "Mozilla/5.0+(Windows+NT+10.0) - www.example.ir 200 0 0 5120 350 15\n"
    "2025-10-10 10:25:37 10.0.0.1 GET /video/a.mp4 - 80 - 2001:db8::9 Mozilla/5.0 - "
    "www.example.ir 206 0 0 65536 400 20\n")
# CloudFront standard log: tab-separated, URL-encoded; x-host-header is the viewer's name
CLOUDFRONT_VALUES = [
    "2025-10-10", "10:25:36", "IKA50-C1", "2390", "203.0.113.60", "GET",
    "d111111abcdef8.cloudfront.net", "/%D9%81%DB%8C%D9%84%D9%85.mp4", "206", "-",
    "Mozilla/5.0%20(Macintosh)", "-", "-", "Hit", "abc==", "video.example.ir", "https", "200",
    "0.002", "-", "TLSv1.3", "TLS_AES_128_GCM_SHA256", "Hit", "HTTP/2.0", "-", "-", "11040",
    "0.001", "Hit", "video/mp4", "2000", "0", "1999"]
CLOUDFRONT = "#Version: 1.0\n" + "\t".join(CLOUDFRONT_VALUES) + "\n"
# Squid native (`logformat squid`): %<st is the whole reply
SQUID = ("1760091936.000    156 192.0.2.20 TCP_MISS/200 1045 GET "
         "http://www.example.ir/index.html - HIER_DIRECT/198.51.100.1 text/html\n"
         "1760091937.250      5 192.0.2.21 TCP_MEM_HIT/304 230 GET "
         "http://www.example.ir/logo.png - HIER_NONE/- image/png\n")
# Traffic Server's squid format: psql (reply with headers)
TRAFFICSERVER = ("1760091936.000 156 192.0.2.40 TCP_HIT/200 4096 GET "
                 "http://cdn.example.ir/a.js - NONE/- application/javascript 0\n")
# varnishncsa's default -F: %r names the host (an absolute URL)
VARNISH = ('192.0.2.50 - - [10/Oct/2025:13:55:36 +0330] "GET http://www.example.ir/a HTTP/1.1" '
           '200 512 "-" "Mozilla/5.0"\n'
           '192.0.2.51 - - [10/Oct/2025:13:55:37 +0330] "GET http://www.example.ir/b HTTP/1.1" '
           '304 - "-" "Mozilla/5.0"\n')
# HAProxy `option httplog`, the example of the configuration manual (8.2.3), %B = 2750
HAPROXY = ("Feb  6 12:14:14 localhost haproxy[14389]: 10.0.1.2:33317 "
           "[06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- "
           "1/1/1/1/0 0/0 {1wt.eu} {} \"GET /index.html HTTP/1.1\"\n")
# Cloudflare Logpush, http_requests, timestamps in unix nanoseconds (the default)
CLOUDFLARE = (
    '{"ClientIP":"203.0.113.30","ClientRequestHost":"www.example.ir","ClientRequestMethod":'
    '"GET","ClientRequestURI":"/img/a.png?x=1","EdgeResponseBytes":69045,'
    '"EdgeResponseBodyBytes":68500,"EdgeResponseStatus":200,'
    '"EdgeStartTimestamp":1760091936000000000,"ClientRequestUserAgent":"Mozilla/5.0",'
    '"CacheCacheStatus":"hit"}\n'
    '{"ClientIP":"2001:db8::30","ClientRequestHost":"www.example.ir","ClientRequestMethod":'
    '"GET","ClientRequestURI":"/v.mp4","EdgeResponseBytes":1200,"EdgeResponseBodyBytes":1000,'
    '"EdgeResponseStatus":206,"EdgeStartTimestamp":1760091937000000000,'
    '"ClientRequestUserAgent":"M","CacheCacheStatus":"miss"}\n')
# Fastly's documented JSON format: only the body size is logged
FASTLY = ('{"timestamp":"2025-10-10T10:25:36+0000","client_ip":"203.0.113.70","host":'
          '"www.example.ir","url":"/a?b=1","request_method":"GET","request_user_agent":'
          '"Mozilla/5.0","response_state":"HIT","response_status":200,'
          '"response_body_size":3000,"fastly_is_edge":true}\n'
          '{"timestamp":"2025-10-10T10:25:37+0000","client_ip":"10.1.1.1","host":'
          '"www.example.ir","url":"/a","request_method":"GET","request_user_agent":"M",'
          '"response_state":"MISS","response_status":200,"response_body_size":3000,'
          '"fastly_is_edge":false}\n')

CASES: dict[str, tuple[str, str, dict[str, str], list[tuple[Any, ...]]]] = {
    "nginx-combined": ("nginx-combined", NGINX_COMBINED, {"host": "www.example.ir"}, [
        ("www.example.ir", "/video/ep1.mp4", 206, 1048576, 1048576, True),
        ("www.example.ir", "/video/ep1.mp4", 200, 5000, 5000, False),
        ("www.example.ir", "/news/", 304, 0, 0, False),
        ("www.example.ir", "/big.iso", 499, 1234, 1234, False),
        ("www.example.ir", FILM + "/1", 200, 777, 777, False)]),
    "nginx-json": (NGINX_JSON_FORMAT, NGINX_JSON, {}, [
        ("video.example.ir", "/a.mp4", 206, 1049000, 1048576, True),
        ("news.example.ir", FILM, 304, 180, 0, False)]),
    "apache-combinedio": ("apache-combinedio", APACHE_COMBINEDIO, {"host": "www.example.ir"}, [
        ("www.example.ir", "/a", 200, 2560, 2326, False),
        ("www.example.ir", "/b", 304, 180, 0, False),
        ("www.example.ir", FILM, 206, 1300, 1000, True)]),
    "apache-combined": ("apache-combined", APACHE_COMBINED, {"host": "www.example.com"}, [
        ("www.example.com", "/apache_pb.gif", 200, 2326, 2326, False),
        ("www.example.com", "/missing", 304, 0, 0, False)]),
    "w3c": ("w3c", IIS, {}, [
        ("www.example.ir", "/default.htm", 200, 5120, None, False),
        ("www.example.ir", "/video/a.mp4", 206, 65536, None, True)]),
    "cloudfront": ("cloudfront", CLOUDFRONT, {}, [
        ("video.example.ir", FILM + ".mp4", 206, 2390, 2000, True)]),
    "squid": ("squid", SQUID, {}, [
        ("www.example.ir", "/index.html", 200, 1045, None, False),
        ("www.example.ir", "/logo.png", 304, 230, None, False)]),
    "trafficserver-squid": ("trafficserver-squid", TRAFFICSERVER, {}, [
        ("cdn.example.ir", "/a.js", 200, 4096, None, False)]),
    "varnishncsa": ("varnishncsa", VARNISH, {}, [
        ("www.example.ir", "/a", 200, 512, 512, False),
        ("www.example.ir", "/b", 304, 0, 0, False)]),
    "haproxy-http": ("haproxy-http", HAPROXY, {"timezone": "UTC"}, [
        ("1wt.eu", "/index.html", 200, 2750, None, False)]),
    "cloudflare": ("cloudflare", CLOUDFLARE, {}, [
        ("www.example.ir", "/img/a.png", 200, 69045, 68500, False),
        ("www.example.ir", "/v.mp4", 206, 1200, 1000, True)]),
    "fastly": ("fastly", FASTLY, {}, [
        ("www.example.ir", "/a", 200, 3000, 3000, False),
        ("www.example.ir", "/a", 200, 3000, 3000, False)]),
}


def scan(tmp_path: Path, fmt: str, text: str, compress: str = "none",
         **options: Any) -> tuple[list[dict[str, Any]], list[tuple[int, str, str]]]:
    data = text.encode("utf-8")
    path = tmp_path / "access.log"
    if compress == "gzip":
        data = gzip.compress(data)
    elif compress == "zstd":
        data = zstandard.ZstdCompressor().compress(data)
    path.write_bytes(data)
    spec = resolve_format(fmt)
    records, rejected = [], []
    for part in scan_file(path, spec, ScanOptions(**options), "b1",
                          content_digest(path).hexdigest):
        records += part.records.to_pylist()
        rejected += part.rejected
    return records, rejected


def summary(record: dict[str, Any]) -> tuple[Any, ...]:
    return (record["host"], record["path"], record["status"], record["bytes"],
            record["body_bytes"], record["range_request"])


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_format_reads_its_documented_lines(tmp_path: Path, name: str) -> None:
    fmt, text, options, expected = CASES[name]
    records, rejected = scan(tmp_path, fmt, text, **options)
    assert rejected == []
    assert [summary(r) for r in records] == expected


def test_cloudfront_line_has_every_documented_field() -> None:
    from pahna.intake.weblog.w3c import CLOUDFRONT_FIELDS
    assert len(CLOUDFRONT_VALUES) == len(CLOUDFRONT_FIELDS.split())


def test_times_clients_agents_and_tiers(tmp_path: Path) -> None:
    records, _ = scan(tmp_path, "nginx-combined", NGINX_COMBINED, host="www.example.ir")
    assert [r["time_ms"] for r in records] == [T0 + 1000 * i for i in range(5)]
    assert address_to_text(records[1]["client_addr"]) == "2001:db8::7"
    assert records[4]["user_agent"] == 'Mozilla/5.0 "quoted"'
    assert records[0]["bytes_field"] == "nginx $body_bytes_sent"
    json_records, _ = scan(tmp_path, NGINX_JSON_FORMAT, NGINX_JSON)
    assert json_records[0]["user_agent"] == 'Mozilla "q"'
    assert json_records[0]["bytes_field"] == "nginx $bytes_sent"
    iis, _ = scan(tmp_path, "w3c", IIS)
    assert iis[0]["time_ms"] == T0 and iis[0]["user_agent"] == "Mozilla/5.0 (Windows NT 10.0)"
    squid, _ = scan(tmp_path, "squid", SQUID)
    assert [r["time_ms"] for r in squid] == [T0, T0 + 1250]
    haproxy, _ = scan(tmp_path, "haproxy-http", HAPROXY, timezone="UTC")
    assert haproxy[0]["time_ms"] == 1233922454655  # 2009-02-06T12:14:14.655Z
    fastly, _ = scan(tmp_path, "fastly", FASTLY)
    assert [r["tier"] for r in fastly] == ["edge", "shield"]
    cloudflare, _ = scan(tmp_path, "cloudflare", CLOUDFLARE)
    assert [r["cache"] for r in cloudflare] == ["hit", "miss"]
    assert [r["time_ms"] for r in cloudflare] == [T0, T0 + 1000]


@pytest.mark.parametrize("compress", ["gzip", "zstd"])
def test_compressed_files_read_the_same(tmp_path: Path, compress: str) -> None:
    plain, _ = scan(tmp_path, "apache-combinedio", APACHE_COMBINEDIO, host="h.example.ir")
    packed, _ = scan(tmp_path, "apache-combinedio", APACHE_COMBINEDIO, compress,
                     host="h.example.ir")
    assert packed == plain


def test_bad_lines_are_rejected_by_reason_with_their_numbers(tmp_path: Path) -> None:
    text = (NGINX_COMBINED.splitlines(keepends=True)[0] + "not a log line\n"
            + '203.0.113.5 - - [99/Oct/2025:13:55:36 +0330] "GET / HTTP/1.1" 200 1 "-" "M"\n'
            + '999.1.1.1 - - [10/Oct/2025:13:55:36 +0330] "GET / HTTP/1.1" 200 1 "-" "M"\n'
            + "\n")
    records, rejected = scan(tmp_path, "nginx-combined", text, host="www.example.ir")
    assert len(records) == 1
    assert [(n, reason) for n, reason, _ in rejected] == [
        (2, "no_match"), (3, "bad_time"), (4, "bad_client")]
    assert rejected[0][2] == "not a log line"


XFF_FORMAT = ('nginx:$remote_addr - $remote_user [$time_local] "$request" $status $bytes_sent '
              '"$http_user_agent" "$http_x_forwarded_for"')
XFF = (
    # through the declared proxy 10.0.0.5: the client is the right-most address that is
    # not a declared proxy
    '10.0.0.5 - - [10/Oct/2025:13:55:36 +0330] "GET / HTTP/1.1" 200 1 "M" '
    '"198.51.100.9, 203.0.113.7, 10.0.0.6"\n'
    # a client that sends its own header straight to the server: ignored
    '192.0.2.99 - - [10/Oct/2025:13:55:36 +0330] "GET / HTTP/1.1" 200 1 "M" "203.0.113.1"\n'
    # through the proxy with no header: the proxy's address stays
    '10.0.0.5 - - [10/Oct/2025:13:55:36 +0330] "GET / HTTP/1.1" 200 1 "M" "-"\n')


def test_forwarded_for_is_believed_only_from_declared_proxies(tmp_path: Path) -> None:
    from pahna.intake.weblog.clients import TrustedProxies

    behind, _ = scan(tmp_path, XFF_FORMAT, XFF, host="h.example.ir",
                     proxies=TrustedProxies(["10.0.0.0/24"]))
    assert [address_to_text(r["client_addr"]) for r in behind] == [
        "203.0.113.7", "192.0.2.99", "10.0.0.5"]
    direct, _ = scan(tmp_path, XFF_FORMAT, XFF, host="h.example.ir")
    assert [address_to_text(r["client_addr"]) for r in direct] == [
        "10.0.0.5", "192.0.2.99", "10.0.0.5"]
