"""Iranian IBANs (شبا): ``IR``, two check digits, 22 digits, checked with ISO 7064
MOD 97-10 (ISO 13616) by schwifty. The one IBAN check of pahna: the registry, payments and
the portal all call `normalize_iban` or `iban_problem`.

Spaces and hyphens between groups are accepted and dropped, as are Persian and Arabic-Indic
digits (read as 0-9), since people copy IBANs from bank apps and letters in either form.
"""

from __future__ import annotations

import re

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from pahna.errors import InvalidIbanError

COUNTRY = "IR"
_SEPARATORS = re.compile(r"[\s\-]")
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")


def normalize_iban(text: str) -> str:
    """The IBAN in compact form (``IR`` and 24 digits), or InvalidIbanError saying why."""
    compact = _SEPARATORS.sub("", text.translate(_DIGITS)).upper()
    if not compact.startswith(COUNTRY):
        raise InvalidIbanError(f"IBAN {text!r}: expected IR followed by 24 digits")
    try:
        return str(IBAN(compact).compact)
    except SchwiftyException as exc:
        raise InvalidIbanError(f"IBAN {text!r}: {_reason(exc)}") from exc


def iban_problem(text: str | None) -> str | None:
    """Why `text` is not a valid Iranian IBAN, or None when it is one."""
    if not text:
        return "no IBAN on record"
    try:
        normalize_iban(text)
    except InvalidIbanError as exc:
        return str(exc)
    return None


def _reason(exc: SchwiftyException) -> str:
    name = type(exc).__name__
    if name == "InvalidChecksumDigits":
        return "check digits do not match (ISO 7064 mod 97-10)"
    if name in ("InvalidLength", "InvalidStructure", "InvalidBBANChecksum"):
        return "expected IR followed by 24 digits"
    return str(exc)
