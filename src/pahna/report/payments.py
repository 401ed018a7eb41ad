"""The payment batch handed to the bank: one CSV row per payable producer."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from pahna.csvcells import csv_row
from pahna.ledger.payments import PaymentLine
from pahna.settle.money import Currency

PAYMENT_COLUMNS = ("producer_id", "name", "iban", "amount", "currency", "reference")
CONFIRMATION_COLUMNS = ("reference", "amount", "status")
"""Columns the bank's confirmation file must have (bank_reference and reason optional)."""


def payment_csv(lines: Iterable[tuple[PaymentLine, str]], currency: Currency) -> str:
    """CSV text of (line, producer name) pairs; amounts in major units."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(PAYMENT_COLUMNS)
    for line, name in lines:
        writer.writerow(csv_row((line.producer_id, name, line.iban,
                                 currency.text(line.amount_minor), currency.code,
                                 line.reference)))
    return out.getvalue()
