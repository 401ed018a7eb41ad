"""Statements rendered for people and machines: CSV, JSON, HTML and PDF, in Persian and
English, one per producer, plus a summary of all producers and a province summary.

A period's folder holds `summary.*`, `provinces.csv` and `statements.json`, and each
producer's statement in a folder of its own, `statements/<producer-id>/statement.<fmt>`
(`statement_path`), named by its id checked to be a slug: no producer's files can be
another's or the summary, and no id can lead outside the folder."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
from collections.abc import Callable
from decimal import Decimal
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from jinja2 import Environment, Template, select_autoescape

from pahna.calendar import JalaliMonth, jalali_date_text
from pahna.csvcells import csv_row
from pahna.errors import LedgerError
from pahna.ids import check_id
from pahna.ledger.durable import fsync_path
from pahna.report.labels import MONTHS_EN, MONTHS_FA, STATUS, UNITS, label, province_name
from pahna.report.numerals import format_amount, format_decimal, format_money, persian_digits
from pahna.settle.document import to_document
from pahna.settle.money import BYTES_PER_GB, ROUNDING_RULE_FA, round_minor
from pahna.settle.statements import Settlement, StatementLine, province_totals

FORMATS = ("csv", "json", "html", "pdf")
_FIRST_LAYOUT = ("period", "status", "producer_id", "name", "province", "bytes",
                 "domestic_bytes", "international_bytes", "unknown_bytes", "billed_bytes",
                 "p95_sent_mbps", "eligible", "claim_minor", "amount_minor",
                 "adjustments_minor", "payable_minor", "cost_minor", "net_minor",
                 "coverage_ratio", "currency", "minor_units", "tariff_id", "tariff_version",
                 "claim_rial", "amount_rial", "producer_status", "carried_minor",
                 "balance_minor", "carried_out_minor")
CSV_LAYOUTS: dict[int, tuple[str, ...]] = {
    1: _FIRST_LAYOUT,
    2: (*_FIRST_LAYOUT, "pro_rata_minor", "client_centric_minor"),
}
"""Every layout statement CSVs were ever written in, by number. A layout is never
changed once released: a new column makes a new layout."""
CSV_LAYOUT = 2
"""The layout new statements are written in. A final keeps the layout it was sealed
with (`statement_layout` in its seal's inputs; absent: 1, the layout of every final
sealed before layouts were numbered), so `statements rebuild` writes its CSVs again
byte for byte whatever columns were added since."""
CSV_COLUMNS = CSV_LAYOUTS[CSV_LAYOUT]
"""Money columns are integers in the currency's minor unit. `claim_rial` and `amount_rial`
repeat claim_minor and amount_minor for readers written when IRR was the only currency.
balance = amount + adjustments + carried (balances carried in from earlier statements);
payable is the balance of an active producer when positive, and carried_out the rest,
carried forward to the producer's next statement. Under a tariff with a [content]
section, pro_rata_minor and client_centric_minor are the amounts each allocation mode
pays (docs/weblogs.md), else empty."""


def final_layout(record: dict[str, Any]) -> int:
    """The CSV layout a final was sealed with (its seal's inputs)."""
    layout = int(record["seal"].get("inputs", {}).get("statement_layout", 1))
    if layout not in CSV_LAYOUTS:
        raise LedgerError(f"final-r{record.get('revision')}: statement layout {layout} "
                             f"is unknown to this pahna (it knows {sorted(CSV_LAYOUTS)})")
    return layout


PRODUCER_FOLDER = "statements"


def statement_path(folder: Path, producer_id: str, fmt: str) -> Path:
    """Where a producer's statement in `fmt` lives under a period's `folder`."""
    return folder / PRODUCER_FOLDER / check_id("producer", producer_id) / f"statement.{fmt}"


def gb_text(value: int) -> str:
    return str((Decimal(value) / BYTES_PER_GB).quantize(Decimal("0.001")))


def _row(s: Settlement, line: StatementLine, status: str) -> dict[str, object]:
    """Every column of every layout for one line, by name."""
    def blank(value: object) -> object:
        return "" if value is None else value

    return {
        "period": s.period, "status": status, "producer_id": line.producer_id,
        "name": line.name, "province": line.province, "bytes": line.bytes,
        "domestic_bytes": line.domestic_bytes,
        "international_bytes": line.international_bytes,
        "unknown_bytes": line.unknown_bytes, "billed_bytes": line.billed_bytes,
        "p95_sent_mbps": line.p95_sent_mbps, "eligible": str(line.eligible).lower(),
        "claim_minor": line.claim_minor, "amount_minor": line.amount_minor,
        "adjustments_minor": line.adjustments_minor, "payable_minor": line.payable_minor,
        "cost_minor": blank(line.cost_minor), "net_minor": blank(line.net_minor),
        "coverage_ratio": line.coverage_ratio or "", "currency": s.currency,
        "minor_units": s.minor_units, "tariff_id": s.tariff_id,
        "tariff_version": s.tariff_version, "claim_rial": line.claim_minor,
        "amount_rial": line.amount_minor, "producer_status": line.status,
        "carried_minor": line.carried_minor, "balance_minor": line.balance_minor,
        "carried_out_minor": line.carried_out_minor,
        "pro_rata_minor": blank(line.pro_rata_minor),
        "client_centric_minor": blank(line.client_centric_minor),
    }


def statement_csv(settlement: Settlement, lines: tuple[StatementLine, ...],
                  status: str = "draft", layout: int = CSV_LAYOUT) -> str:
    columns = CSV_LAYOUTS[layout]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for line in lines:
        row = _row(settlement, line, status)
        writer.writerow(csv_row([row[name] for name in columns]))
    return out.getvalue()


def provinces_csv(settlement: Settlement) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("period", "province", "producers", "bytes", "payable_minor", "currency",
                     "minor_units"))
    for code, (count, sent, paid) in province_totals(settlement.lines).items():
        writer.writerow(csv_row((settlement.period, code, count, sent, paid,
                                 settlement.currency, settlement.minor_units)))
    return out.getvalue()


@cache
def _template(name: str, places: int) -> Template:
    """The template `name` compiled once per process and number of minor units (a
    month's thirty statements share one compilation, which costs more than rendering)."""
    text = files("pahna.report").joinpath(f"templates/{name}").read_text("utf-8")
    return _environment(places).from_string(text)


def _environment(places: int) -> Environment:
    env = Environment(autoescape=select_autoescape(["html"]), keep_trailing_newline=True)
    env.filters["amount"] = format_amount
    env.filters["money"] = lambda value, lang: format_money(value, places, lang)
    env.filters["exact"] = lambda value, lang: format_money(round_minor(value), places, lang)
    env.filters["decimal"] = format_decimal
    env.filters["fa"] = persian_digits
    env.filters["gb"] = gb_text
    env.filters["label"] = label
    env.filters["province"] = province_name
    env.filters["unit"] = lambda code, lang: label(code, lang, UNITS)
    return env


def _render(name: str, settlement: Settlement, status: str, content_hash: str | None,
            **context: Any) -> str:
    month = JalaliMonth.parse(settlement.period)
    dates = (jalali_date_text(month.start_ms), jalali_date_text(month.end_ms - 1))
    return _template(name, settlement.minor_units).render(
        s=settlement, month=month, dates=dates, status=status, content_hash=content_hash,
        month_names={"fa": MONTHS_FA[month.month - 1], "en": MONTHS_EN[month.month - 1]},
        status_text={lang: label(status.split("-")[0], lang, STATUS) for lang in ("en", "fa")},
        rule_fa=ROUNDING_RULE_FA, **context)


def statement_html(settlement: Settlement, line: StatementLine, status: str = "draft",
                   content_hash: str | None = None) -> str:
    return _render("statement.html", settlement, status, content_hash, line=line)


def summary_html(settlement: Settlement, status: str = "draft",
                 content_hash: str | None = None) -> str:
    return _render("summary.html", settlement, status, content_hash,
                   provinces=province_totals(settlement.lines))


def statement_json(settlement: Settlement, status: str = "draft",
                   content_hash: str | None = None) -> str:
    return json.dumps({"status": status, "content_hash": content_hash,
                       **to_document(settlement)}, ensure_ascii=False,
                      sort_keys=True, indent=1) + "\n"


def write_statements(settlement: Settlement, folder: Path, status: str = "draft",
                     content_hash: str | None = None, layout: int = CSV_LAYOUT
                     ) -> list[Path]:
    """Every producer's CSV (in CSV layout `layout`) and HTML, summary.csv and
    provinces.csv; returns the paths."""
    return export_statements(settlement, folder, "csv", status, content_hash, layout) + (
        export_statements(settlement, folder, "html", status, content_hash))


def export_statements(settlement: Settlement, folder: Path, fmt: str,
                      status: str = "draft", content_hash: str | None = None,
                      layout: int = CSV_LAYOUT) -> list[Path]:
    """Write the period's statements in one format into `folder`; returns the paths.
    A final's statements carry its status (final-rN) and the seal's content hash.
    Refused (InvalidIdError, nothing written) when a producer id is not a slug."""
    for line in settlement.lines:
        check_id("producer", line.producer_id)
    folder.mkdir(parents=True, exist_ok=True)
    writers: dict[str, Callable[[], list[Path]]] = {
        "csv": lambda: _write_csv(settlement, folder, status, layout),
        "json": lambda: [_put(folder / "statements.json",
                              statement_json(settlement, status, content_hash))],
        "html": lambda: _write_html(settlement, folder, status, content_hash),
        "pdf": lambda: _write_pdf(settlement, folder, status, content_hash),
    }
    return writers[fmt]()


def _put(path: Path, content: str | bytes) -> Path:
    """Write a file whole or not at all (a temporary name, then renamed over it)."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temp.write_bytes(data)
    os.replace(temp, path)
    return path


def publish_statements(settlement: Settlement, folder: Path, status: str,
                       content_hash: str | None, layout: int = CSV_LAYOUT) -> list[Path]:
    """A final's statements (CSV and HTML) as one folder that appears whole: written and
    fsynced under a temporary name, read-only, then renamed into place (replacing a
    folder left by an interrupted finalize or a damaged one being rebuilt)."""
    temp = folder.with_name(f".{folder.name}.{os.getpid()}.tmp")
    if temp.exists():
        shutil.rmtree(temp)
    written = write_statements(settlement, temp, status, content_hash, layout)
    for path in written:
        path.chmod(0o444)
        fsync_path(path)
    for sub in sorted({p.parent for p in written}, key=lambda d: -len(d.parts)):
        fsync_path(sub)  # each producer's folder, deepest first, then the folder itself
    fsync_path(temp)
    if folder.exists():
        old = folder.with_name(f".{folder.name}.{os.getpid()}.old")
        if old.exists():
            shutil.rmtree(old)
        os.replace(folder, old)
        os.replace(temp, folder)
        shutil.rmtree(old)
    else:
        os.replace(temp, folder)
    fsync_path(folder.parent)
    return [folder / path.relative_to(temp) for path in written]


def _write_csv(settlement: Settlement, folder: Path, status: str, layout: int
               ) -> list[Path]:
    paths = [_put(statement_path(folder, ln.producer_id, "csv"),
                  statement_csv(settlement, (ln,), status, layout))
             for ln in settlement.lines]
    paths.append(_put(folder / "summary.csv", statement_csv(settlement, settlement.lines,
                                                            status, layout)))
    return [*paths, _put(folder / "provinces.csv", provinces_csv(settlement))]


def _write_html(settlement: Settlement, folder: Path, status: str, content_hash: str | None
                ) -> list[Path]:
    paths = [_put(statement_path(folder, ln.producer_id, "html"),
                  statement_html(settlement, ln, status, content_hash))
             for ln in settlement.lines]
    return [*paths, _put(folder / "summary.html",
                         summary_html(settlement, status, content_hash))]


def _write_pdf(settlement: Settlement, folder: Path, status: str, content_hash: str | None
               ) -> list[Path]:
    from pahna.report.pdf import html_to_pdf

    paths = [_put(statement_path(folder, ln.producer_id, "pdf"),
                  html_to_pdf(statement_html(settlement, ln, status, content_hash)))
             for ln in settlement.lines]
    summary = html_to_pdf(summary_html(settlement, status, content_hash))
    return [*paths, _put(folder / "summary.pdf", summary)]
