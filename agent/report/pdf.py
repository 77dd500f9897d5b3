"""The monthly report printed to PDF by WeasyPrint (Pango lays out the text with the system's
fonts, DejaVu on Debian), from the same HTML the HTML download is."""

from __future__ import annotations

import logging

from common.errors import NotConfigured

# WeasyPrint logs every CSS property it does not support and each font it substitutes.
logging.getLogger("weasyprint").setLevel(logging.ERROR)
logging.getLogger("fontTools").setLevel(logging.ERROR)

NEEDS = "apt-get install libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core"


class PdfUnavailable(NotConfigured):
    """WeasyPrint or the Pango library it prints with is not installed."""


def html_to_pdf(html: str) -> bytes:
    """The HTML document as PDF bytes.

    Raises:
        PdfUnavailable: WeasyPrint cannot be loaded (the package, or Pango under it, is missing).
    """
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: the Pango shared library is missing
        raise PdfUnavailable(
            f"PDF reports need WeasyPrint and Pango ({exc}); install them with "
            f"`pip install weasyprint` and `{NEEDS}`, or ask for the HTML report"
        ) from None
    pdf = HTML(string=html).write_pdf()
    assert pdf is not None  # write_pdf returns the bytes when given no target
    return bytes(pdf)
