"""An independent ISO 7064 MOD 97-10 oracle for tests: builds Iranian IBANs with their
check digits by the arithmetic of ISO 13616, without pahna or schwifty."""

from __future__ import annotations


def mod97(iban: str) -> int:
    """Move the first four characters to the end, read letters as 10..35, take mod 97."""
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97


def iban_with_check_digits(bban: str) -> str:
    """The Iranian IBAN for a 22-digit BBAN, its check digits computed."""
    return f"IR{98 - mod97(f'IR00{bban}'):02d}{bban}"
