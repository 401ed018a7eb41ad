"""JSON lines of CDNs: Cloudflare Logpush (the http_requests dataset) and Fastly (a JSON
log format, as Fastly's documentation gives it, or an operator's own).

Cloudflare's field names are fixed. `EdgeResponseBytes` is every byte the edge sent to
the client, headers included; `EdgeStartTimestamp` is written as Logpush's
`timestamp_format` says (unix nanoseconds by default, unix seconds, or RFC 3339).

A Fastly format is a JSON template whose values are VCL expressions
(`"host": "%{req.http.Host}V"`); each key is read for the variable it logs.
`fastly_is_edge` false (a request from one Fastly node to another: a shield) makes the
record a shield record.
"""

from __future__ import annotations

import re

from pahna.errors import LogFormatError
from pahna.intake.weblog.fields import Field, LogFormat

CLOUDFLARE_FIELDS: dict[str, tuple[str, str]] = {
    "EdgeStartTimestamp": ("time", "epoch_auto"),
    "ClientIP": ("client", ""),
    "ClientRequestHost": ("host", ""),
    "ClientRequestURI": ("target", ""),
    "EdgeResponseStatus": ("status", ""),
    "EdgeResponseBytes": ("bytes", ""),
    "EdgeResponseBodyBytes": ("body_bytes", ""),
    "CacheCacheStatus": ("cache", ""),
    "ClientRequestUserAgent": ("user_agent", ""),
}

FASTLY_JSON = """{
  "timestamp": "%{strftime(\\{"%Y-%m-%dT%H:%M:%S%z"\\}, time.start)}V",
  "client_ip": "%{req.http.Fastly-Client-IP}V",
  "host": "%{if(req.http.Fastly-Orig-Host, req.http.Fastly-Orig-Host, req.http.Host)}V",
  "url": "%{json.escape(req.url)}V",
  "request_method": "%{json.escape(req.method)}V",
  "request_user_agent": "%{json.escape(req.http.User-Agent)}V",
  "response_state": "%{json.escape(fastly_info.state)}V",
  "response_status": %{resp.status}V,
  "response_body_size": %{resp.body_bytes_written}V,
  "fastly_is_edge": %{if(fastly.ff.visits_this_service == 0, "true", "false")}V
}"""
"""The JSON format of Fastly's documentation (its useful fields)."""

_FASTLY_VARIABLES: tuple[tuple[str, str, str], ...] = (
    ("time.start", "time", "iso8601"), ("fastly-client-ip", "client", ""),
    ("client.ip", "client", ""), ("req.http.host", "host", ""),
    ("fastly-orig-host", "host", ""), ("req.url", "target", ""),
    ("resp.bytes_written", "bytes", ""), ("resp.body_bytes_written", "body_bytes", ""),
    ("resp.status", "status", ""), ("fastly_info.state", "cache", ""),
    ("req.http.user-agent", "user_agent", ""), ("req.http.range", "range", ""),
    ("visits_this_service", "edge", ""),
)
_PAIR = re.compile(r'"((?:[^"\\]|\\.)+)"\s*:\s*("?%\{.*?\}V"?)\s*(?=,\s*"|\s*\}\s*$)', re.S)


def cloudflare_format() -> LogFormat:
    keys = tuple((name,) for name in CLOUDFLARE_FIELDS)
    fields = tuple(Field(role, name, kind) for name, (role, kind) in CLOUDFLARE_FIELDS.items())
    return LogFormat("cloudflare", "cloudflare", fields, keys=keys, escape="json")


def fastly_format(text: str = FASTLY_JSON) -> LogFormat:
    """Compile a Fastly JSON template."""
    keys, fields = [], []
    for key, value in _PAIR.findall(text.strip()):
        lowered = value.lower()
        for variable, role, kind in _FASTLY_VARIABLES:
            if variable in lowered:
                keys.append((key,))
                fields.append(Field(role, key, kind))
                break
    if not fields:
        raise LogFormatError("fastly format: no key logs a variable pahna reads "
                             "(time.start, client.ip, req.http.Host, resp.bytes_written...)")
    return LogFormat("fastly", text, tuple(fields), keys=tuple(keys), escape="json")
