"""The poster: HTML and CSS rendered by WeasyPrint as a tagged PDF/UA-1, A4 or A3.

A3 is A4 scaled by √2, so it is the A4 page rendered at that zoom: one design serves both.
Every text goes through Jinja2's autoescape in a sandbox; the HTML has no script and loads
nothing (the logo and QR code are data: URIs, fonts are the installed ones)."""

from __future__ import annotations

import base64
import math
from functools import lru_cache
from typing import Any, Literal

from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from comms.publish.design import BUNDLED, Design
from comms.publish.qr import qr_svg_uri
from comms.publish.sheet import DRAFT_MARK, Sheet, direction

PosterSize = Literal["a4", "a3"]
Format = Literal["a4", "a3", "sharepic square", "sharepic portrait"]
PAGE = {  # the page box Clarion sets; the office's CSS styles what is on it
    "a4": "210mm 297mm",
    "sharepic square": "1080px 1080px",
    "sharepic portrait": "1080px 1350px",
}
ZOOM = {"a3": math.sqrt(2)}
PDF_VARIANT = "pdf/ua-1"


@lru_cache(maxsize=1)
def _template() -> Any:
    env = SandboxedEnvironment(autoescape=True, undefined=StrictUndefined)
    env.filters["direction"] = direction
    return env.from_string((BUNDLED / "poster.html").read_text(encoding="utf-8"))


def page_html(sheet: Sheet, design: Design, format: Format) -> str:
    """The page as HTML: lang and dir set, every value escaped."""
    logo = "data:image/png;base64," + base64.b64encode(design.logo).decode("ascii")
    qr = qr_svg_uri(sheet.booking_url) if sheet.booking_url else ""
    return str(
        _template().render(sheet=sheet, format=format, logo=logo, qr=qr, draft_mark=DRAFT_MARK)
    )


def render_pdf(sheet: Sheet, design: Design, format: Format) -> bytes:
    """The page as a tagged PDF/UA-1 with the document language set."""
    from weasyprint import CSS, HTML

    page = PAGE.get(format, PAGE["a4"])
    margin = "; margin: 0" if format.startswith("sharepic") else ""
    sheets = [CSS(string=design.css), CSS(string=f"@page {{ size: {page}{margin} }}")]
    document = HTML(string=page_html(sheet, design, format), base_url=None)
    pdf = document.write_pdf(
        stylesheets=sheets,
        pdf_variant=PDF_VARIANT,
        zoom=ZOOM.get(format, 1),
        pdf_identifier=False,
    )
    return bytes(pdf)


def poster_pdf(sheet: Sheet, design: Design, size: PosterSize = "a4") -> bytes:
    """The print-ready poster, A4 or A3."""
    return render_pdf(sheet, design, size)
