"""The QR code to the booking link, as SVG for print and PNG for Word (segno: pure Python)."""

from __future__ import annotations

import io


def qr_svg_uri(url: str) -> str:
    """A data: URI of the QR code as SVG, black on white, with its quiet zone."""
    import segno

    return str(segno.make(url, error="m").svg_data_uri(scale=10, border=4))


def qr_png(url: str) -> bytes:
    """The QR code as PNG (Word has no SVG in older versions)."""
    import segno

    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=10, border=4)
    return out.getvalue()
