"""Statements for people: Persian (RTL, Persian digits, Jalali dates) and English."""

from __future__ import annotations

import contextlib
import re
import zlib
from pathlib import Path

from pahna.parties import Producer
from pahna.report.numerals import format_money
from pahna.report.statements import export_statements, statement_html, summary_html
from pahna.settle.money import Currency
from pahna.settle.statements import SettlementInputs, settle_period
from pahna.settle.tariffs import Tariff
from pahna.settle.usage import BinUsage, ProducerUsage

T = Tariff.from_dict({"id": "t", "version": 1, "valid_from": "1404-01", "pool_minor": 10**12,
                      "volume": {"rate_per_gb": "1234567"}})
U = ProducerUsage(Producer("qom-tv", "Qom TV", "صدا و سیمای قم", "IR-25"),
                  (BinUsage(1761165000000, domestic=2 * 10**9),))


def settlement():  # type: ignore[no-untyped-def]
    return settle_period(SettlementInputs("1404-08", 8640, (U,), T, Currency(), {}))


def test_money_in_persian_and_english() -> None:
    assert format_money(2469134, 0, "fa") == "۲٬۴۶۹٬۱۳۴"
    assert format_money(2469134, 0, "en") == "2,469,134"
    assert format_money(-123456, 2, "en") == "-1,234.56"
    assert format_money(-123456, 2, "fa") == "\u2212۱٬۲۳۴٫۵۶"


def test_statement_html_is_bilingual() -> None:
    html = statement_html(settlement(), settlement().lines[0], "final-r1", "ab" * 32)
    assert '<section lang="fa" dir="rtl">' in html and '<section lang="en" dir="ltr">' in html
    assert "۲٬۴۶۹٬۱۳۴" in html and "2,469,134" in html  # amount in both numeral systems
    assert "۱۴۰۴-۰۸-۰۱" in html and "1404-08-30" in html  # Jalali dates
    assert "half to even" in html and "نیمه به زوج" in html  # the rounding rule
    assert "قم (IR-25)" in html and "Qom (IR-25)" in html
    assert "آبان ۱۴۰۴" in html and "Aban 1404" in html
    assert "ab" * 32 in html
    assert "قم (IR-25)" in summary_html(settlement())


def test_pdf_export(tmp_path: Path) -> None:
    paths = export_statements(settlement(), tmp_path, "pdf", "draft")
    assert [p.relative_to(tmp_path).as_posix() for p in paths] == [
        "statements/qom-tv/statement.pdf", "summary.pdf"]
    assert all(p.read_bytes().startswith(b"%PDF-") for p in paths)
    fonts = set()
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", paths[0].read_bytes(), re.S):
        with contextlib.suppress(zlib.error):
            fonts.update(re.findall(rb"/FontName\s*/[A-Z]{6}\+([^\s/>]+)", zlib.decompress(stream)))
    assert b"DejaVu-Sans" in fonts  # a font that covers Persian was embedded


def test_statements_show_status_and_balances_carried_both_ways() -> None:
    """A producer's status and the balances carried in and out are on its statement (HTML
    in both languages, CSV columns)."""
    from pahna.report.statements import statement_csv
    from pahna.settle.balances import Carry

    held = ProducerUsage(Producer("qom-tv", "Qom TV", "", "IR-25", status="suspended"),
                         (BinUsage(1761165000000, domestic=2 * 10**9),))
    owed = {"qom-tv": (Carry("1404-07", 1, -500),)}
    result = settle_period(SettlementInputs("1404-08", 8640, (held,), T, Currency(), {},
                                            (), owed))
    line = result.lines[0]
    assert (line.amount_minor, line.payable_minor, line.carried_out_minor) == (0, 0, -500)
    html = statement_html(result, line, "final-r1", "ab" * 32)
    assert "Suspended: not paid, balance held" in html and "تعلیق‌شده" in html
    assert "Balance carried from 1404-07 r1" in html and "مانده منتقل‌شده از" in html
    assert "Balance carried forward to the next statement" in html
    assert "held until the producer is active" in html
    row = statement_csv(result, result.lines, "final-r1").splitlines()
    values = dict(zip(row[0].split(","), row[1].split(","), strict=True))
    assert (values["producer_status"], values["carried_minor"], values["balance_minor"],
            values["carried_out_minor"], values["payable_minor"]) == (
        "suspended", "-500", "-500", "-500", "0")
