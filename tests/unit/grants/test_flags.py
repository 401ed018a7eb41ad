"""Red flags on the demo round; what each should find comes from the demo's script."""

from __future__ import annotations

from sqlalchemy import Engine

from pahna.grants.board import load_board
from pahna.grants.config import GrantSettings
from pahna.grants.flags import red_flags

NOW = 1_800_000_000_000


def test_the_demo_raises_each_flag_once(demo_engine: Engine) -> None:
    flags = {(f.code, f.subject) for f in red_flags(load_board(demo_engine), GrantSettings(),
                                                     NOW)}
    assert flags == {
        ("short_window", "pardisan-datacentre"),  # five days
        ("single_applicant", "kavir-cloud"),
        ("shared_identity", "kavir-cloud, kavir-data"),  # same IBAN and owner
        ("concentration", "kavir-cloud, kavir-data"),  # 9.6 of 17.3 billion awarded
        ("split_award", "kavir-cloud, kavir-data"),  # 4.8 billion twice, under 5
        ("reviewer_outlier", "rev-moradi"),  # 100 against 53 and 57
    }


def test_thresholds_come_from_the_settings(demo_engine: Engine) -> None:
    strict = GrantSettings(short_window_days=3, concentration_percent=60,
                           split_threshold_rial=4_000_000_000, outlier_points=50)
    codes = {f.code for f in red_flags(load_board(demo_engine), strict, NOW)}
    assert codes == {"single_applicant", "shared_identity"}
