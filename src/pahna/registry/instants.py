"""Instants in registry files: ISO 8601 or Jalali dates, to UTC epoch milliseconds.

A date alone means 00:00 in Asia/Tehran on that day; ``1404-08-01`` (Jalali, year
below 1700) and ``2025-10-23`` (Gregorian) are both accepted, with or without a time
(``1404-08-01T12:00``, ``2025-10-23T08:30:00Z``). A time without an offset is Tehran time.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import jdatetime

from pahna.calendar import TEHRAN

_JALALI = re.compile(r"^(1[0-6]\d\d)[-/](\d{1,2})[-/](\d{1,2})"
                     r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


def parse_instant(text: str) -> int:
    """Epoch ms for an ISO 8601 or Jalali date/time; ValueError with the reason."""
    text = text.strip()
    match = _JALALI.match(text)
    if match:
        year, month, day, hour, minute, second = (int(g) if g else 0 for g in match.groups())
        try:
            gregorian = jdatetime.date(year, month, day).togregorian()
        except ValueError as exc:
            raise ValueError(f"{text!r} is not a Jalali date: {exc}") from exc
        local = datetime(gregorian.year, gregorian.month, gregorian.day, hour, minute, second,
                         tzinfo=TEHRAN)
        return int(local.timestamp() * 1000)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"{text!r} is neither ISO 8601 nor a Jalali date (1404-08-01)") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=TEHRAN)
    return int(moment.timestamp() * 1000)


def format_instant(epoch_ms: int | None) -> str:
    """ISO 8601 in UTC with a Z (empty for an open end), as exports write it."""
    if epoch_ms is None:
        return ""
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    text = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return text.replace(".000Z", "Z")
