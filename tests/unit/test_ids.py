from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pahna.errors import InvalidIdError
from pahna.ids import MAX_ID_LENGTH, RESERVED_IDS, check_id, id_problem


@pytest.mark.parametrize("good", ["qom-univ", "a", "7", "ir-25-zone", "tv1", "a" * MAX_ID_LENGTH])
def test_slugs_are_ids(good: str) -> None:
    assert check_id("producer", good) == good


@pytest.mark.parametrize("bad", [
    "../escape", "../../../pahna-escape", "a/b", "a\\b", "..", ".", "", "-lead", "trail-",
    "double--hyphen", "Upper", "with space", "tab\t", "nul\x00", "قم", "é", "a.b", "a_b",
    "a" * (MAX_ID_LENGTH + 1), "summary", "new", "all",
])
def test_anything_else_is_refused_with_the_kind_named(bad: str) -> None:
    with pytest.raises(InvalidIdError, match=r"^producer id"):
        check_id("producer", bad)


def test_reserved_names_are_refused_as_reserved() -> None:
    for name in RESERVED_IDS:
        assert id_problem(name) == "is a reserved name"


@given(st.text(max_size=80))
def test_an_id_is_always_a_safe_single_path_part(text: str) -> None:
    if id_problem(text) is None:
        assert "/" not in text and "\\" not in text and text not in (".", "..")
        assert text == text.strip() and text.isascii() and text == text.lower()
        assert 0 < len(text) <= MAX_ID_LENGTH


@pytest.mark.parametrize("value", ["teh-daily\n", "qom-univ\n", "a\n"])
def test_a_trailing_newline_is_not_part_of_an_id(value: str) -> None:
    with pytest.raises(InvalidIdError):
        check_id("producer", value)

