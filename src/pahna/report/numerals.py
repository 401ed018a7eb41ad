"""Numbers as people read them: Persian digits and separators, or Latin."""

from __future__ import annotations

_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
PERSIAN_THOUSANDS = "٬"  # U+066C ARABIC THOUSANDS SEPARATOR
PERSIAN_DECIMAL = "٫"  # U+066B ARABIC DECIMAL SEPARATOR


def format_amount(value: int, lang: str) -> str:
    """1234567 -> '1,234,567' (en) or '۱٬۲۳۴٬۵۶۷' (fa)."""
    text = f"{value:,}"
    if lang == "fa":
        return text.replace(",", PERSIAN_THOUSANDS).translate(_PERSIAN_DIGITS).replace(
            "-", "\u2212")
    return text


def format_decimal(text: str, lang: str) -> str:
    """A decimal string shown with the language's digits and separators."""
    whole, _, frac = text.partition(".")
    out = format_amount(int(whole), lang)
    if frac:
        sep = PERSIAN_DECIMAL if lang == "fa" else "."
        out += sep + (frac.translate(_PERSIAN_DIGITS) if lang == "fa" else frac)
    return out


def persian_digits(text: str) -> str:
    return text.translate(_PERSIAN_DIGITS)
