"""Words on statements, in English and Persian."""

from __future__ import annotations

LINE_LABELS: dict[str, tuple[str, str]] = {
    "volume": ("Billed traffic", "ترافیک مشمول"),
    "time_of_day": ("Time-of-day factor (Tehran time)", "ضریب ساعت مصرف (به وقت تهران)"),
    "intra_province": ("Traffic inside the province", "ترافیک درون‌استانی"),
    "international": ("International traffic", "ترافیک بین‌الملل"),
    "percentile": ("95th percentile rate", "نرخ صدک ۹۵"),
    "zone": ("Special IT zone multiplier", "ضریب منطقه ویژه فناوری اطلاعات"),
    "producer_type": ("Producer type multiplier", "ضریب نوع مرکز"),
}
UNITS: dict[str, tuple[str, str]] = {
    "GB": ("GB", "گیگابایت"), "Mbps": ("Mbps", "مگابیت بر ثانیه"),
    "factor": ("×", "×"), "share": ("share", "سهم"),
}
STATUS: dict[str, tuple[str, str]] = {
    "draft": ("Draft — may still change", "پیش‌نویس — ممکن است تغییر کند"),
    "final": ("Final", "قطعی"),
}


def label(code: str, lang: str, table: dict[str, tuple[str, str]] = LINE_LABELS) -> str:
    en, fa = table.get(code, (code, code))
    return fa if lang == "fa" else en
