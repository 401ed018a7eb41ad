import os
import subprocess
import sys
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import pytest
import tzdata

from pahna.calendar import TZDATA_VERSION, JalaliMonth
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


def test_tehran_comes_from_the_pinned_tzdata_not_the_host(tmp_path: Path) -> None:
    """Regression: Asia/Tehran was read from the host's zone files first. A host whose
    zone files say Tehran is UTC (PYTHONTZPATH points at them) must not move a month."""
    fake = tmp_path / "zoneinfo" / "Asia"
    fake.mkdir(parents=True)
    (fake / "Tehran").write_bytes((resources.files("tzdata.zoneinfo") / "UTC").read_bytes())
    code = ("from pahna.calendar import JalaliMonth, TZDATA_VERSION;"
            "import zoneinfo;"
            "print(JalaliMonth.parse('1404-08').start_ms, TZDATA_VERSION,"
            " zoneinfo.ZoneInfo('Asia/Tehran').utcoffset(None))")
    env = {**os.environ, "PYTHONTZPATH": str(tmp_path / "zoneinfo")}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    assert utc(int(out[0])) == "2025-10-22T20:30:00+00:00"
    assert out[1] == tzdata.IANA_VERSION == TZDATA_VERSION
    assert out[2] == "0:00:00"  # the host's (fake) rules were there to be misread
