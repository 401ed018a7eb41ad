"""The logs of the long-running commands (`pahna collect`, `pahna serve`), on standard
error, in the format `[logging] format` chooses:

    text     the message alone, as a person reads it (the default)
    logfmt   ts=2026-12-01T10:05:18.123Z level=info logger=pahna.collect event=flushed
             msg="flushed 3 datagrams: ..." records=51
    json     {"ts": "...", "level": "info", "logger": "pahna.collect", "event": "flushed",
              "msg": "...", "records": 51}

A line's own fields are given as `log(logger, level, event, msg, **fields)`. Nothing
logged carries a secret: the access log (pahna.web.accesslog) writes the method, the
path without its query, the status, the time taken, the size and the client's address,
never a header, a cookie, a query string or a body.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import TextIO

FORMATS = ("text", "logfmt", "json")
ROOTS = ("pahna", "uvicorn")
FIELDS = "pahna_fields"


class StructuredFormatter(logging.Formatter):
    """One line per record in `text`, `logfmt` or `json`."""

    def __init__(self, style: str) -> None:
        super().__init__()
        self.style = style

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + self.formatException(record.exc_info)
        if self.style == "text":
            return message
        stamp = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        fields: dict[str, object] = {
            "ts": stamp.replace("+00:00", "Z"), "level": record.levelname.lower(),
            "logger": record.name, "event": getattr(record, "event", "message"),
            "msg": message, **getattr(record, FIELDS, {})}
        if self.style == "json":
            return json.dumps(fields, ensure_ascii=False, default=str)
        return " ".join(f"{key}={_logfmt(value)}" for key, value in fields.items())


def _logfmt(value: object) -> str:
    text = str(value)
    if text and not any(c in text for c in ' "=\\\n\t'):
        return text
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped.replace(chr(9), chr(92) + "t")}"'


def setup_logging(style: str, stream: TextIO | None = None) -> None:
    """Send pahna's and uvicorn's records to `stream` (standard error) in `style`."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(StructuredFormatter(style))
    for name in ROOTS:
        logger = logging.getLogger(name)
        for old in list(logger.handlers):
            logger.removeHandler(old)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO if name == "pahna" else logging.WARNING)
        logger.propagate = False


def log(logger: logging.Logger, level: int, event: str, message: str,
        **fields: object) -> None:
    """Log `message` with a name for what happened and the fields of a structured line."""
    logger.log(level, message, extra={"event": event, FIELDS: fields})
