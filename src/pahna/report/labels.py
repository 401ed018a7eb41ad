"""Words on statements, in English and Persian."""

from __future__ import annotations

from pahna.registry.provinces import PROVINCES

LINE_LABELS: dict[str, tuple[str, str]] = {
    "volume": ("Billed traffic", "ترافیک مشمول"),
    "time_of_day": ("Time-of-day factor (Tehran time)", "ضریب ساعت مصرف (به وقت تهران)"),
    "intra_province": ("Traffic inside the province", "ترافیک درون‌استانی"),
    "international": ("International traffic", "ترافیک بین‌الملل"),
    "percentile": ("95th percentile rate", "نرخ صدک ۹۵"),
    "zone": ("Special IT zone multiplier", "ضریب منطقه ویژه فناوری اطلاعات"),
    "producer_type": ("Producer type multiplier", "ضریب نوع مرکز"),
    "active": ("Active", "فعال"),
    "suspended": ("Suspended: not paid, balance held",
                  "تعلیق‌شده: پرداخت نمی‌شود، مانده نگه داشته می‌شود"),
    "closed": ("Closed: not paid, balance held",
               "بسته‌شده: پرداخت نمی‌شود، مانده نگه داشته می‌شود"),
}
UNITS: dict[str, tuple[str, str]] = {
    "GB": ("GB", "گیگابایت"), "Mbps": ("Mbps", "مگابیت بر ثانیه"),
    "factor": ("×", "×"), "share": ("share", "سهم"),
}
STATUS: dict[str, tuple[str, str]] = {
    "draft": ("Draft — may still change", "پیش‌نویس — ممکن است تغییر کند"),
    "final": ("Final", "قطعی"),
}

MONTHS_FA = ("فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر",
             "دی", "بهمن", "اسفند")
MONTHS_EN = ("Farvardin", "Ordibehesht", "Khordad", "Tir", "Mordad", "Shahrivar", "Mehr",
             "Aban", "Azar", "Dey", "Bahman", "Esfand")


def label(code: str, lang: str, table: dict[str, tuple[str, str]] = LINE_LABELS) -> str:
    en, fa = table.get(code, (code, code))
    return fa if lang == "fa" else en


_PROVINCES = {p.code: (p.name_en, p.name_fa) for p in PROVINCES}


def province_name(code: str, lang: str) -> str:
    """'Qom (IR-25)' or 'قم (IR-25)'; the bare code when the table does not know it."""
    if code not in _PROVINCES:
        return code
    en, fa = _PROVINCES[code]
    return f"{fa if lang == 'fa' else en} ({code})"
