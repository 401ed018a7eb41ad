"""nginx `log_format`, as written in nginx.conf, compiled to a LogFormat.

Accepted: the whole directive (``log_format main escape=json '...' '...';``) or the
format alone, quoted or not. `escape=default` (nginx writes `"`, `\\`, control bytes and
bytes above 0x7E as `\\xHH`) and `escape=none` give a line pattern; `escape=json` gives a
JSON template whose keys are found by where each variable sits. Variables pahna does not
use are matched and skipped.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pahna.errors import LogFormatError
from pahna.intake.weblog.fields import Field, LogFormat
from pahna.intake.weblog.patterns import Part, line_pattern

COMBINED = ("$remote_addr - $remote_user [$time_local] "
            '"$request" $status $body_bytes_sent '
            '"$http_referer" "$http_user_agent"')
"""nginx's predefined `combined` format (ngx_http_log_module)."""

VARIABLES: dict[str, tuple[str, str]] = {
    "remote_addr": ("client", ""),
    "http_x_forwarded_for": ("forwarded_for", ""),
    "proxy_add_x_forwarded_for": ("forwarded_for", ""),
    "time_local": ("time", "clf"),
    "time_iso8601": ("time", "iso8601"),
    "msec": ("time", "epoch_s"),
    "request": ("request", ""),
    "request_uri": ("target", ""),
    "uri": ("path", ""),
    "document_uri": ("path", ""),
    "host": ("host", ""),
    "http_host": ("host", ""),
    "server_name": ("host", ""),
    "status": ("status", ""),
    "bytes_sent": ("bytes", ""),
    "body_bytes_sent": ("body_bytes", ""),
    "http_range": ("range", ""),
    "upstream_cache_status": ("cache", ""),
    "http_user_agent": ("user_agent", ""),
}
"""The variables pahna reads and the role each plays (with how a time is written)."""

_VARIABLE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")
_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\"")
_DIRECTIVE = re.compile(r"^\s*log_format\s+\S+\s*")


def _unquote(text: str) -> tuple[str, str]:
    """(escape mode, format text) from a directive or a bare format."""
    body = _DIRECTIVE.sub("", text.strip()).rstrip().removesuffix(";")
    escape = "default"
    found = re.match(r"\s*escape=(\w+)\s*", body)
    if found:
        escape, body = found.group(1), body[found.end():]
    if escape not in ("default", "json", "none"):
        raise LogFormatError(f"nginx log_format: escape={escape}: expected default, json "
                             "or none")
    parts = list(_QUOTED.finditer(body))
    if parts and not _QUOTED.sub("", body).strip():
        body = "".join(m.group(1) if m.group(1) is not None else m.group(2) for m in parts)
        body = re.sub(r"\\(.)", lambda m: {"t": "\t", "n": "\n", "r": "\r"}.get(
            m.group(1), m.group(1)), body)
    return escape, body


def _field(name: str) -> Field | None:
    role = VARIABLES.get(name)
    return Field(role[0], f"${name}", role[1]) if role else None


def nginx_format(text: str) -> LogFormat:
    """Compile an nginx log_format (see the module's docstring)."""
    escape, body = _unquote(text)
    if escape == "json":
        return _json_format(text, body)
    parts: list[Part] = []
    position = 0
    for match in _VARIABLE.finditer(body):
        parts.append(body[position:match.start()])
        parts.append(_field(match.group(1) or match.group(2)))
        position = match.end()
    parts.append(body[position:])
    pattern, fields = line_pattern(parts, "nginx" if escape == "default" else "none",
                                   "nginx log_format")
    return LogFormat("nginx", text, fields, pattern=pattern,
                     escape="nginx" if escape == "default" else "none")


_MARK = "@@pahna@@"
"""Stands for a variable while a JSON template is read (printable: JSON allows it in a
string; a template's own text never holds it)."""


def _json_format(text: str, body: str) -> LogFormat:
    """A JSON template: each variable is replaced by a marker string, the template is read
    as JSON, and a field's key path is where its marker is found."""
    marked, inside, out, position = [], False, [], 0
    for index, char in enumerate(body):
        if char == '"' and (index == 0 or body[index - 1] != "\\"):
            inside = not inside
        elif char == "$" and (match := _VARIABLE.match(body, index)):
            marked.append((match.start(), match.end(), inside, match.group(1) or match.group(2)))
    for start, end, quoted, name in marked:
        out.append(body[position:start])
        marker = f"{_MARK}{name}{_MARK}"
        out.append(marker if quoted else json.dumps(marker))
        position = end
    out.append(body[position:])
    try:
        template = json.loads("".join(out))
    except ValueError as exc:
        raise LogFormatError(f"nginx log_format escape=json: not a JSON template: {exc}"
                             ) from exc
    keys, fields = [], []
    for path, value in _leaves(template, ()):
        names = re.findall(f"{_MARK}(\\w+){_MARK}", value) if isinstance(value, str) else []
        found = (_field(names[0]) if len(names) == 1 and value == f"{_MARK}{names[0]}{_MARK}"
                 else None)
        if found is not None:
            keys.append(path)
            fields.append(found)
    return LogFormat("nginx", text, tuple(fields), keys=tuple(keys), escape="json")


def _leaves(node: Any, path: tuple[str, ...]) -> list[tuple[tuple[str, ...], Any]]:
    if isinstance(node, dict):
        return [leaf for key, value in node.items() for leaf in _leaves(value, (*path, key))]
    return [(path, node)]
