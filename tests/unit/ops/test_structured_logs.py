"""The log formats of the long-running commands: text, logfmt and JSON, one line each,
and a real `pahna collect` writing logfmt."""

from __future__ import annotations

import io
import json
import logging
import re
import shlex
import subprocess
import sys
import tomllib

import tomli_w

from pahna.ops.logs import log, setup_logging
from pahna.workspace import Workspace

LOGFMT = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)')


def parse_logfmt(line: str) -> dict[str, str]:
    """An independent reading: shlex undoes the quoting of values."""
    out = {}
    for key, value in LOGFMT.findall(line):
        out[key] = shlex.split(value)[0] if value.startswith('"') else value
    return out


def emit(style: str) -> str:
    stream = io.StringIO()
    setup_logging(style, stream)
    log(logging.getLogger("pahna.collect"), logging.WARNING, "alarm",
        'ALARM the store refused "a batch" = x\\y', exporter="192.0.2.1", count=3)
    for name in ("pahna", "uvicorn"):
        logging.getLogger(name).handlers.clear()
    return stream.getvalue()


def test_text_is_the_message_alone() -> None:
    assert emit("text") == 'ALARM the store refused "a batch" = x\\y\n'


def test_json_and_logfmt_carry_the_same_fields() -> None:
    (line,) = emit("json").splitlines()
    data = json.loads(line)
    assert data["level"] == "warning" and data["logger"] == "pahna.collect"
    assert data["event"] == "alarm" and data["exporter"] == "192.0.2.1" and data["count"] == 3
    assert data["msg"] == 'ALARM the store refused "a batch" = x\\y'
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", data["ts"])
    (text,) = emit("logfmt").splitlines()
    fields = parse_logfmt(text)
    assert fields["msg"] == data["msg"]
    assert {k: fields[k] for k in ("level", "logger", "event", "exporter", "count")} == {
        "level": "warning", "logger": "pahna.collect", "event": "alarm",
        "exporter": "192.0.2.1", "count": "3"}


def test_collect_writes_logfmt_lines(workspace: Workspace) -> None:
    config = workspace.home / "pahna.toml"
    settings = tomllib.loads(config.read_text())
    settings["logging"] = {"format": "logfmt"}
    config.write_text(tomli_w.dumps(settings))
    result = subprocess.run(
        [sys.executable, "-m", "pahna", "collect", "--home", str(workspace.home), "--listen",
         "127.0.0.1:0", "--duration", "0.3"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = [parse_logfmt(line) for line in result.stderr.splitlines()]
    events = [line.get("event") for line in lines]
    assert "listening" in events and "stopped" in events, result.stderr
    assert all(line.get("logger") == "pahna.collect" and "ts" in line for line in lines)
    (stopped,) = [line for line in lines if line["event"] == "stopped"]
    assert stopped["datagrams"] == "0" and stopped["kernel_drops"] == "0"
