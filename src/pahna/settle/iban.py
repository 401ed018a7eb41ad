"""Iranian IBANs (شبا): IR, two check digits, 22 digits; ISO 7064 MOD 97-10."""

from __future__ import annotations

import re

_IRANIAN = re.compile(r"^IR\d{24}$")


def normalize_iban(text: str) -> str:
    return re.sub(r"[\s-]", "", text).upper()


def iban_problem(text: str | None) -> str | None:
    """Why `text` is not a valid Iranian IBAN, or None when it is one."""
    if not text:
        return "no IBAN on record"
    iban = normalize_iban(text)
    if not _IRANIAN.match(iban):
        return f"{iban!r} is not IR followed by 24 digits"
    rearranged = iban[4:] + iban[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    if int(digits) % 97 != 1:
        return f"{iban!r} fails the ISO 7064 mod 97-10 check"
    return None
