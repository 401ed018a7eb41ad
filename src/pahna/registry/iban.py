"""Iranian IBANs (شبا): ``IR`` + 24 digits, checked with ISO 7064 MOD 97-10 (ISO 13616)."""

from __future__ import annotations

import re

from pahna.errors import RegistryError

_IRAN_IBAN = re.compile(r"^IR\d{24}$")


def normalize_iban(text: str) -> str:
    """The IBAN without spaces, upper-case, or RegistryError saying what is wrong."""
    iban = re.sub(r"\s+", "", text).upper()
    if not _IRAN_IBAN.match(iban):
        raise RegistryError(f"IBAN {text!r}: expected IR followed by 24 digits")
    if iban_remainder(iban) != 1:
        raise RegistryError(f"IBAN {text!r}: check digits do not match (ISO 7064 mod 97)")
    return iban


def iban_remainder(iban: str) -> int:
    """ISO 7064 MOD 97-10 of an IBAN: move the first four characters to the end, read
    letters as 10..35, and take the number mod 97 (1 for a valid IBAN)."""
    moved = iban[4:] + iban[:4]
    digits = "".join(str(int(ch, 36)) for ch in moved)
    return int(digits) % 97


def iban_with_check_digits(bban: str) -> str:
    """The Iranian IBAN for a 22-digit BBAN, with its check digits computed."""
    check = 98 - iban_remainder(f"IR00{bban}")
    return f"IR{check:02d}{bban}"
