"""HTML statements printed to PDF with WeasyPrint (Pango shapes Persian right to left).

Headless and offline: fonts come from the system (Debian fonts-dejavu-core covers Persian
and Latin); no browser and no network are involved.
"""

from __future__ import annotations

import logging

from pahna.errors import SettlementError

PRINT_CSS = "@page { size: A4; margin: 16mm } body { font-family: 'DejaVu Sans', sans-serif; }"


def html_to_pdf(html: str) -> bytes:
    try:
        from weasyprint import CSS, HTML
    except (ImportError, OSError) as exc:  # OSError: Pango missing on the system
        raise SettlementError(f"PDF export needs WeasyPrint and Pango: {exc}") from exc
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    document = HTML(string=html).render(stylesheets=[CSS(string=PRINT_CSS)])
    pdf: bytes = document.write_pdf()
    return pdf
