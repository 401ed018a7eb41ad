"""Jalali (Solar Hijri) months as UTC intervals bounded at midnight Asia/Tehran.

A period is written ``YYYY-MM`` in the Jalali calendar (``1404-08`` is Aban 1404). Its
bounds are [first day 00:00 Tehran, first day of next month 00:00 Tehran), in UTC epoch
milliseconds. Iran has kept UTC+03:30 all year since 2022; the tz database knows the
earlier summer times, so past months are bounded right too.

Tehran's rules are always read from the pinned `tzdata` package (its version is
TZDATA_VERSION, sealed with every final), never from the host's zone files: two machines
with different system tz databases bound a month the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from zoneinfo import ZoneInfo

import jdatetime
import tzdata

from pahna.errors import PeriodError


def pinned_zone(key: str) -> ZoneInfo:
    """The zone `key` from the pinned tzdata package (the host's zone files unread)."""
    path = resources.files("tzdata.zoneinfo").joinpath(*key.split("/"))
    with path.open("rb") as handle:
        return ZoneInfo.from_file(handle, key=key)


TEHRAN = pinned_zone("Asia/Tehran")
TZDATA_VERSION: str = tzdata.IANA_VERSION
"""The IANA release of the rules TEHRAN comes from (e.g. 2026f)."""
_PERIOD = re.compile(r"^(\d{4})-(\d{2})\Z")


@dataclass(frozen=True, order=True)
class JalaliMonth:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> JalaliMonth:
        match = _PERIOD.match(text.strip())
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise PeriodError(f"period {text!r}: expected a Jalali month like 1404-08")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def containing(cls, epoch_ms: int) -> JalaliMonth:
        local = datetime.fromtimestamp(epoch_ms / 1000, tz=TEHRAN)
        jdate = jdatetime.date.fromgregorian(date=local.date())
        return cls(jdate.year, jdate.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def next(self) -> JalaliMonth:
        return JalaliMonth(self.year + self.month // 12, self.month % 12 + 1)

    @property
    def days(self) -> int:
        return jdatetime.j_days_in_month[self.month - 1] if self.month < 12 else (
            30 if jdatetime.date(self.year, 1, 1).isleap() else 29)

    @property
    def start_ms(self) -> int:
        return _tehran_midnight_ms(self.year, self.month, 1)

    @property
    def end_ms(self) -> int:
        following = self.next()
        return _tehran_midnight_ms(following.year, following.month, 1)


def _tehran_midnight_ms(year: int, month: int, day: int) -> int:
    gregorian = jdatetime.date(year, month, day).togregorian()
    local = datetime(gregorian.year, gregorian.month, gregorian.day, tzinfo=TEHRAN)
    return int(local.astimezone(UTC).timestamp() * 1000)


def jalali_date_text(epoch_ms: int) -> str:
    """The Tehran-local Jalali date of an instant, as YYYY-MM-DD."""
    local = datetime.fromtimestamp(epoch_ms / 1000, tz=TEHRAN)
    jdate = jdatetime.date.fromgregorian(date=local.date())
    return f"{jdate.year:04d}-{jdate.month:02d}-{jdate.day:02d}"
