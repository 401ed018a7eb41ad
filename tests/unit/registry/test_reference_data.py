from __future__ import annotations

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from pahna.errors import RegistryError
from pahna.registry.iban import iban_remainder, iban_with_check_digits, normalize_iban
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


@pytest.mark.parametrize("iban", ["IR062960000000100324200001", "ir06 2960 0000 0010 0324 2000 01"])
def test_valid_iban(iban: str) -> None:
    assert normalize_iban(iban) == "IR062960000000100324200001"


@pytest.mark.parametrize(("iban", "reason"), [
    ("IR072960000000100324200001", "check digits"),
    ("IR06296000000010032420000", "24 digits"),
    ("DE89370400440532013000", "IR followed by 24 digits"),
    ("IR0629600000001003242000A1", "24 digits"),
])
def test_invalid_iban(iban: str, reason: str) -> None:
    with pytest.raises(RegistryError, match=reason):
        normalize_iban(iban)


def test_check_digits_round_trip() -> None:
    iban = iban_with_check_digits("0170000000110212345678")
    assert iban_remainder(iban) == 1
    assert normalize_iban(iban) == iban
