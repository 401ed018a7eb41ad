"""Write a settlement's statements: one CSV and one HTML page per producer, plus a summary."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from importlib.resources import files
from pathlib import Path

from jinja2 import Environment, select_autoescape

from pahna.calendar import JalaliMonth
from pahna.report.numerals import format_amount, format_decimal, persian_digits
from pahna.settle.money import BYTES_PER_GB
from pahna.settle.statements import Settlement, StatementLine

CSV_COLUMNS = ("period", "producer_id", "name", "province", "bytes", "gb", "rate_rial_per_gb",
               "claim_rial", "amount_rial", "tariff_id", "tariff_version")


def gb_text(value: int) -> str:
    return str((Decimal(value) / BYTES_PER_GB).quantize(Decimal("0.001")))


def statement_csv(settlement: Settlement, lines: tuple[StatementLine, ...]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for line in lines:
        writer.writerow([line.period, line.producer_id, line.name, line.province, line.bytes,
                         gb_text(line.bytes), settlement.rate_rial_per_gb, line.claim_rial,
                         line.amount_rial, settlement.tariff_id, settlement.tariff_version])
    return out.getvalue()


def _environment() -> Environment:
    env = Environment(autoescape=select_autoescape(["html"]), keep_trailing_newline=True)
    env.filters["amount"] = format_amount
    env.filters["decimal"] = format_decimal
    env.filters["fa"] = persian_digits
    env.filters["gb"] = gb_text
    return env


def statement_html(settlement: Settlement, line: StatementLine) -> str:
    template_text = files("pahna.report").joinpath("templates/statement.html").read_text("utf-8")
    month = JalaliMonth.parse(settlement.period)
    return _environment().from_string(template_text).render(
        s=settlement, line=line, month=month)


def write_statements(settlement: Settlement, folder: Path) -> list[Path]:
    """Write every producer's CSV and HTML and a summary.csv; returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for line in settlement.lines:
        csv_path = folder / f"{line.producer_id}.csv"
        csv_path.write_text(statement_csv(settlement, (line,)), encoding="utf-8")
        html_path = folder / f"{line.producer_id}.html"
        html_path.write_text(statement_html(settlement, line), encoding="utf-8")
        paths += [csv_path, html_path]
    summary = folder / "summary.csv"
    summary.write_text(statement_csv(settlement, settlement.lines), encoding="utf-8")
    paths.append(summary)
    return paths
