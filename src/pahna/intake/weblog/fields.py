"""What a log format is once compiled: the fields of a line, each with the role it plays
in a record, and how a line is split into them.

Every product's format (nginx `log_format`, Apache `LogFormat`, W3C `#Fields`, Squid,
Traffic Server, HAProxy, Cloudflare and Fastly JSON) compiles to a :class:`LogFormat`:
either a regular expression over a line with one named group per field (``f0``,
``f1``...), or, for JSON lines, one key path per field. The scanner
(:mod:`pahna.intake.weblog.scan`) runs it over whole batches of lines at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ROLES = (
    "client",         # the address that connected (or the client a trusted proxy names)
    "forwarded_for",  # X-Forwarded-For, read only from declared proxies
    "time",           # when the request was served
    "date",           # W3C: the date part of the time (UTC)
    "request",        # the request line: METHOD TARGET PROTOCOL
    "target",         # the request target (path and query, or an absolute URL)
    "path",           # the path alone (no query)
    "host",           # the Host the client asked for
    "status",         # the HTTP status sent to the client
    "bytes",          # bytes sent to the client, headers included where the format says so
    "body_bytes",     # bytes of the response body
    "range",          # the Range request header
    "cache",          # the cache's verdict (HIT, MISS, TCP_MEM_HIT, Hit, ...)
    "user_agent",     # the User-Agent request header
    "edge",           # per-record tier flag (Fastly: is this the edge, not a shield)
)

TIME_KINDS = ("clf", "iso8601", "epoch_s", "epoch_ms", "epoch_us", "epoch_ns", "epoch_auto",
              "w3c_time", "haproxy", "strftime")
"""How a time field is written: CLF `10/Oct/2000:13:55:36 -0700`, ISO 8601 with an
offset, seconds (with a fraction) or integer ms/us/ns since the epoch, `epoch_auto`
(Cloudflare: ns, s or RFC 3339), W3C `time` (UTC, with `date`), HAProxy's local
`06/Feb/2009:12:14:14.655`, or an operator's strftime pattern (`LogFormat.time_pattern`)."""

ESCAPES = ("nginx", "apache", "json", "none", "w3c", "url")
"""How a format escapes values: nginx writes `"`, `\\`, control and non-ASCII bytes as
`\\xHH`; Apache (and varnishncsa) `\\"`, `\\\\` and `\\xhh`; JSON formats use JSON string
escapes; W3C (IIS) writes spaces in values as `+`; CloudFront and Squid URL-encode."""


@dataclass(frozen=True)
class Field:
    """One field of a line: the role its value plays, how the format names it (the label
    a record's `bytes_field` quotes, e.g. `$body_bytes_sent`) and, for times, how it is
    written."""

    role: str
    label: str
    kind: str = ""

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"field {self.label}: unknown role {self.role!r}")


@dataclass(frozen=True)
class LogFormat:
    """A compiled format. `pattern` is a regular expression over a whole line whose named
    groups ``f0``.. are `fields` in order (empty for JSON lines, whose `keys` name each
    field's JSON path). `comment` is a prefix of lines that are directives, not requests
    (W3C's `#`). `needs_timezone` is set when times carry no offset."""

    product: str
    text: str
    fields: tuple[Field, ...]
    pattern: str = ""
    keys: tuple[tuple[str, ...], ...] = ()
    escape: str = "none"
    comment: str = ""
    time_pattern: str = ""
    bytes_preference: tuple[str, ...] = field(default=("bytes", "body_bytes"))
    absolute_urls: bool = False

    @property
    def is_json(self) -> bool:
        return not self.pattern

    def roles(self) -> set[str]:
        return {f.role for f in self.fields}

    def first(self, role: str) -> Field | None:
        return next((f for f in self.fields if f.role == role), None)

    @property
    def needs_timezone(self) -> bool:
        """True when the format's times carry no offset (HAProxy's `%tr`, a strftime
        pattern without `%z`): the operator must say which zone the server logs in."""
        for f in self.fields:
            if f.role == "time" and (f.kind == "haproxy" or (
                    f.kind == "strftime" and "%z" not in self.time_pattern)):
                return True
        return False

    @property
    def bytes_field(self) -> Field | None:
        """The field whose value a record counts as bytes sent to the client: the
        whole response (headers included) where the format logs it, else the body."""
        for role in self.bytes_preference:
            found = self.first(role)
            if found is not None:
                return found
        return None

    @property
    def has_host(self) -> bool:
        """True when a line names the host it was for: a Host field, or request targets
        written as absolute URLs (proxies: Squid, Traffic Server)."""
        return "host" in self.roles() or self.absolute_urls

