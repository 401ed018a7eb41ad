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
    negative = whole.startswith("-")
    out = format_amount(abs(int(whole)), lang)
    if negative:
        out = ("\u2212" if lang == "fa" else "-") + out
    if frac:
        sep = PERSIAN_DECIMAL if lang == "fa" else "."
        out += sep + (frac.translate(_PERSIAN_DIGITS) if lang == "fa" else frac)
    return out


def persian_digits(text: str) -> str:
    return text.translate(_PERSIAN_DIGITS)


def format_money(amount_minor: int, minor_units: int, lang: str) -> str:
    """Minor units as a major-unit amount with separators: 123456, 2 -> '1,234.56'."""
    if minor_units == 0:
        return format_amount(amount_minor, lang)
    sign = "-" if amount_minor < 0 else ""
    whole, frac = divmod(abs(amount_minor), 10**minor_units)
    return format_decimal(f"{sign}{whole}.{frac:0{minor_units}d}", lang)
