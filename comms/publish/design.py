"""The office's design: the poster CSS, the Word letter template and the logo.

Each is a file in data_dir/publish/ when the office has made its own, else the bundled default
in comms/publish/assets/. The files are data: the CSS is handed to WeasyPrint as a stylesheet,
the template to docxtpl in a sandbox, the logo is checked to be a PNG image."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.errors import InputError
from core.settings import Settings

BUNDLED = Path(__file__).parent / "assets"
OFFICE_FOLDER = "publish"
POSTER_CSS, LETTER_TEMPLATE, LOGO = "poster.css", "letter.docx", "logo.png"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_LOGO_BYTES = 2 * 1024 * 1024
MAX_CSS_BYTES = 200_000
MAX_TEMPLATE_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Design:
    """The three design files, read once per export."""

    css: str
    letter_template: bytes
    logo: bytes  # PNG


def design_file(settings: Settings | None, name: str) -> Path:
    """The office's own file of that name, else the bundled default."""
    if settings is not None:
        own = settings.data_dir / OFFICE_FOLDER / name
        if own.is_file():
            return own
    return BUNDLED / name


def load_design(settings: Settings | None = None) -> Design:
    """Read the design files, naming the file that is too large, unreadable or not a PNG."""
    css = _read(design_file(settings, POSTER_CSS), MAX_CSS_BYTES)
    template = _read(design_file(settings, LETTER_TEMPLATE), MAX_TEMPLATE_BYTES)
    logo_path = design_file(settings, LOGO)
    logo = _read(logo_path, MAX_LOGO_BYTES)
    if not logo.startswith(PNG_MAGIC):
        raise InputError(f"The logo {logo_path} is not a PNG image; save it as PNG.")
    if not template.startswith(b"PK"):
        raise InputError(f"The letter template {design_file(settings, LETTER_TEMPLATE)} is "
                         "not a Word document (.docx).")  # fmt: skip
    try:
        text = css.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"The poster style {design_file(settings, POSTER_CSS)} is not UTF-8 text."
        ) from exc
    return Design(css=text, letter_template=template, logo=logo)


def _read(path: Path, limit: int) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"The design file {path} cannot be read: {exc.strerror}.") from exc
    if len(data) > limit:
        raise InputError(f"The design file {path} is larger than {limit // 1000} kB.")
    return data
