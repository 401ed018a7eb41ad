"""Open data of the market: every published month's figures as CSV and as JSON.

The CSV's text cells pass through `csvcells.csv_cell` (a title beginning with `=` is
written with a leading apostrophe, as every CSV of pahna), numbers stay numbers."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import asdict, fields
from typing import Any

from pahna.csvcells import csv_row
from pahna.market.build import MarketMonth
from pahna.market.figures import ItemMonth

COLUMNS = tuple(f.name for f in fields(ItemMonth))
EXTRA = ("revision", "content_hash")


def figures_csv(months: Iterable[MarketMonth]) -> str:
    """One row per item and month, with the final (revision, content hash) it is from."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*COLUMNS, *EXTRA])
    for month in sorted(months, key=lambda m: m.period):
        for item in month.items:
            writer.writerow(csv_row([*(getattr(item, c) for c in COLUMNS), month.revision,
                                     month.content_hash]))
    return out.getvalue()


def figures_json(months: Iterable[MarketMonth]) -> dict[str, Any]:
    return {"months": [{"period": m.period, "revision": m.revision,
                        "content_hash": m.content_hash,
                        "items": [asdict(i) for i in m.items]}
                       for m in sorted(months, key=lambda m: m.period)]}
