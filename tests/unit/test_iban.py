from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.ibans import iban_with_check_digits, mod97

from pahna.errors import InvalidIbanError
from pahna.iban import iban_problem, normalize_iban

VALID = "IR062960000000100324200001"


@pytest.mark.parametrize("text", [
    VALID, "ir06 2960 0000 0010 0324 2000 01", "IR06-2960-0000-0010-0324-2000-01",
    "IR۰۶۲۹۶۰۰۰۰۰۰۰۱۰۰۳۲۴۲۰۰۰۰۱", " IR06 2960 0000 0010 0324 2000 01\t",
])
def test_valid_iban_in_the_forms_people_write(text: str) -> None:
    assert normalize_iban(text) == VALID
    assert iban_problem(text) is None


@pytest.mark.parametrize(("text", "reason"), [
    ("IR072960000000100324200001", "check digits"),
    ("IR062960000000100324200002", "check digits"),
    ("IR06296000000010032420000", "IR followed by 24 digits"),
    ("IR0629600000001003242000011", "IR followed by 24 digits"),
    ("IR0629600000001003242000A1", "IR followed by 24 digits"),
    ("DE89370400440532013000", "IR followed by 24 digits"),
    ("IR06/2960", "IR followed by 24 digits"),
])
def test_invalid_iban_says_why(text: str, reason: str) -> None:
    with pytest.raises(InvalidIbanError, match=reason):
        normalize_iban(text)
    assert reason in (iban_problem(text) or "")


def test_missing_iban() -> None:
    assert iban_problem(None) == "no IBAN on record"
    assert iban_problem("") == "no IBAN on record"


@given(st.text(alphabet="0123456789", min_size=22, max_size=22))
def test_every_bban_with_oracle_check_digits_is_valid(bban: str) -> None:
    iban = iban_with_check_digits(bban)
    assert mod97(iban) == 1
    assert normalize_iban(iban) == iban


@given(st.text(alphabet="0123456789", min_size=22, max_size=22),
       st.integers(min_value=4, max_value=25), st.integers(min_value=1, max_value=9))
def test_one_changed_digit_is_caught(bban: str, position: int, delta: int) -> None:
    iban = iban_with_check_digits(bban)
    digit = (int(iban[position]) + delta) % 10
    changed = iban[:position] + str(digit) + iban[position + 1:]
    with pytest.raises(InvalidIbanError, match="check digits"):
        normalize_iban(changed)
