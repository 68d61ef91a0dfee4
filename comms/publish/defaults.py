"""Build the bundled default design files: the logo placeholder and the DIN 5008 letter template.

Run `python -m comms.publish.defaults` after changing this file; the results are committed in
comms/publish/assets/ so that an office can open them in Word or an image editor and make its own
(and so that nothing is built at run time in a data folder that may be read-only).
tests/test_publish_letter.py checks the committed files are what this module builds."""

from __future__ import annotations

import io
from pathlib import Path

from comms.publish.design import BUNDLED, LETTER_TEMPLATE, LOGO

BRAND = (0x00, 0x50, 0x7A)
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")


def logo_png() -> bytes:
    """A plain placeholder logo: the office replaces it with its own PNG."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (480, 480), BRAND)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(FONT), 120)
    draw.text((240, 240), "LOGO", fill="white", font=font, anchor="mm")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def write_defaults(folder: Path = BUNDLED) -> None:
    """Write logo.png and letter.docx into folder."""
    from comms.publish.letter_template import letter_template

    (folder / LOGO).write_bytes(logo_png())
    (folder / LETTER_TEMPLATE).write_bytes(letter_template())


if __name__ == "__main__":
    write_defaults()
