from datetime import UTC, datetime

import pytest

from pahna.calendar import JalaliMonth
from pahna.errors import PeriodError


def utc(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat()


def test_aban_1404_starts_at_tehran_midnight() -> None:
    month = JalaliMonth.parse("1404-08")
    assert utc(month.start_ms) == "2025-10-22T20:30:00+00:00"
    assert utc(month.end_ms) == "2025-11-21T20:30:00+00:00"


def test_esfand_lengths_follow_leap_years() -> None:
    assert JalaliMonth.parse("1403-12").days == 30
    assert JalaliMonth.parse("1404-12").days == 29
    assert JalaliMonth.parse("1404-12").next() == JalaliMonth(1405, 1)


def test_last_day_boundary_in_utc() -> None:
    end = JalaliMonth.parse("1404-08").end_ms  # 2025-11-21T20:30Z
    assert str(JalaliMonth.containing(end - 60_000)) == "1404-08"  # 20:29Z
    assert str(JalaliMonth.containing(end + 60_000)) == "1404-09"  # 20:31Z


@pytest.mark.parametrize("text", ["1404-13", "1404-8", "abcd-01", ""])
def test_malformed_periods_are_refused(text: str) -> None:
    with pytest.raises(PeriodError):
        JalaliMonth.parse(text)
