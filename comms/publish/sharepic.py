"""The sharepic: the poster's HTML and CSS on a 1080 px page, rendered to PNG by PDFium.

WeasyPrint writes the page as PDF; pypdfium2 (Google's PDFium, wheels on PyPI for Linux,
macOS and Windows) draws it at 96 dpi, where one CSS px is one pixel."""

from __future__ import annotations

import io
from typing import Literal

from comms.publish.design import Design
from comms.publish.poster import render_pdf
from comms.publish.sheet import Sheet

Shape = Literal["square", "portrait"]
SIZES: dict[Shape, tuple[int, int]] = {"square": (1080, 1080), "portrait": (1080, 1350)}
PX_PER_PT = 96 / 72


def sharepic_png(sheet: Sheet, design: Design, shape: Shape = "square") -> bytes:
    """The post image, 1080 × 1080 or 1080 × 1350 pixels."""
    pdf = render_pdf(
        sheet, design, "sharepic portrait" if shape == "portrait" else "sharepic square"
    )
    return pdf_page_png(pdf, 1.0, SIZES[shape])


def pdf_page_png(pdf: bytes, scale: float, size: tuple[int, int] | None = None) -> bytes:
    """The PDF's first page as PNG at `scale` × 96 dpi (a preview, or a sharepic at 1:1)."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        image = document[0].render(scale=PX_PER_PT * scale).to_pil().convert("RGB")
    finally:
        document.close()
    if size is not None and image.size != size:  # a rounding pixel at the edge
        image = image.resize(size)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
