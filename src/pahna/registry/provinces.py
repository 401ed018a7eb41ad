"""Iran's 31 provinces, ISO 3166-2:IR codes (as revised in 2020) with English and
Persian names."""

from __future__ import annotations

from typing import NamedTuple


class Province(NamedTuple):
    code: str
    name_en: str
    name_fa: str


PROVINCES: tuple[Province, ...] = (
    Province("IR-00", "Markazi", "مرکزی"),
    Province("IR-01", "Gilan", "گیلان"),
    Province("IR-02", "Mazandaran", "مازندران"),
    Province("IR-03", "East Azerbaijan", "آذربایجان شرقی"),
    Province("IR-04", "West Azerbaijan", "آذربایجان غربی"),
    Province("IR-05", "Kermanshah", "کرمانشاه"),
    Province("IR-06", "Khuzestan", "خوزستان"),
    Province("IR-07", "Fars", "فارس"),
    Province("IR-08", "Kerman", "کرمان"),
    Province("IR-09", "Razavi Khorasan", "خراسان رضوی"),
    Province("IR-10", "Isfahan", "اصفهان"),
    Province("IR-11", "Sistan and Baluchestan", "سیستان و بلوچستان"),
    Province("IR-12", "Kurdistan", "کردستان"),
    Province("IR-13", "Hamadan", "همدان"),
    Province("IR-14", "Chaharmahal and Bakhtiari", "چهارمحال و بختیاری"),
    Province("IR-15", "Lorestan", "لرستان"),
    Province("IR-16", "Ilam", "ایلام"),
    Province("IR-17", "Kohgiluyeh and Boyer-Ahmad", "کهگیلویه و بویراحمد"),
    Province("IR-18", "Bushehr", "بوشهر"),
    Province("IR-19", "Zanjan", "زنجان"),
    Province("IR-20", "Semnan", "سمنان"),
    Province("IR-21", "Yazd", "یزد"),
    Province("IR-22", "Hormozgan", "هرمزگان"),
    Province("IR-23", "Tehran", "تهران"),
    Province("IR-24", "Ardabil", "اردبیل"),
    Province("IR-25", "Qom", "قم"),
    Province("IR-26", "Qazvin", "قزوین"),
    Province("IR-27", "Golestan", "گلستان"),
    Province("IR-28", "North Khorasan", "خراسان شمالی"),
    Province("IR-29", "South Khorasan", "خراسان جنوبی"),
    Province("IR-30", "Alborz", "البرز"),
)

BY_CODE = {p.code: p for p in PROVINCES}
