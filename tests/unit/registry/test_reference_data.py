from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from pahna.registry.models import ProvinceRow
from pahna.registry.provinces import BY_CODE, PROVINCES


def test_31_provinces_with_the_2020_iso_codes() -> None:
    assert len(PROVINCES) == 31 == len(BY_CODE)
    assert [p.code for p in PROVINCES] == [f"IR-{n:02d}" for n in range(31)]
    # ISO 3166-2:IR as revised in 2020 (OBP), spot checks across the list
    assert BY_CODE["IR-00"].name_en == "Markazi"
    assert BY_CODE["IR-23"].name_en == "Tehran"
    assert BY_CODE["IR-25"].name_fa == "قم"
    assert BY_CODE["IR-30"].name_en == "Alborz"
    assert len({p.name_fa for p in PROVINCES}) == 31


def test_provinces_are_seeded(registry: Engine) -> None:
    with Session(registry) as session:
        assert len(list(session.scalars(select(ProvinceRow)))) == 31
