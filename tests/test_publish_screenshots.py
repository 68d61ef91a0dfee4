"""Pictures of the publications: a poster in German and Arabic, a sharepic. The letter's page is
printed by LibreOffice in tests/test_letter_print.py.

Saved in a temporary folder, or, to refresh the ones docs/publishing.md shows, under
docs/screenshots/ with `SCREENSHOTS_DIR=docs/screenshots .venv/bin/python -m pytest
tests/test_publish_screenshots.py tests/test_letter_print.py`."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image

from comms.publish.design import load_design
from comms.publish.poster import poster_pdf
from comms.publish.sharepic import sharepic_png
from tests.publish_helpers import sheet

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / os.environ.get("SCREENSHOTS_DIR", f"{tempfile.gettempdir()}/clarion-screenshots")


def _save(name: str, png: bytes) -> Image.Image:
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / name).write_bytes(png)
    return Image.open(io.BytesIO(png))


def _headline_ink(image: Image.Image, px_per_mm: float) -> tuple[float, float]:
    """Left and right edge (mm) of the brand-coloured headline between 50 and 80 mm from the top."""
    rows = range(round(50 * px_per_mm), round(80 * px_per_mm))
    xs = [
        x
        for y in rows
        for x in range(image.width)
        if _near(image.getpixel((x, y)), (0x00, 0x50, 0x7A))
    ]
    return min(xs) / px_per_mm, max(xs) / px_per_mm


def _near(pixel: object, colour: tuple[int, int, int]) -> bool:
    return sum(abs(a - b) for a, b in zip(pixel, colour, strict=True)) < 60  # type: ignore[call-overload]


@pytest.mark.parametrize(("language", "rtl"), [("de", False), ("ar", True)])
def test_a_poster_page_shows_the_headline_on_its_reading_side(language: str, rtl: bool) -> None:
    page = sheet(language)
    pdf = poster_pdf(page, load_design())
    document = pdfium.PdfDocument(pdf)
    image = document[0].render(scale=1.5).to_pil().convert("RGB")
    document.close()
    out = io.BytesIO()
    image.save(out, format="PNG")
    shot = _save(f"poster-{language}.png", out.getvalue())
    assert shot.size == (893, 1263)  # A4 at 108 dpi
    left, right = _headline_ink(image, 1.5 * 72 / 25.4)
    if rtl:  # the headline starts at the right margin (14 mm from the 210 mm edge)
        assert right == pytest.approx(196, abs=3) and left > 20
    else:
        assert left == pytest.approx(14, abs=3) and right < 190


def test_a_sharepic_screenshot() -> None:
    shot = _save("sharepic.png", sharepic_png(sheet("de"), load_design(), "square"))
    assert shot.size == (1080, 1080) and len(shot.getcolors(maxcolors=100_000) or []) > 2
