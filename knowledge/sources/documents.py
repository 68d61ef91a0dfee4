"""Readers that turn an uploaded file into Markdown text with a title, date and language."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from core.errors import InputError
from knowledge.sources.front_matter import parse_date, split_front_matter
from knowledge.sources.language import detect_language

MAX_FILE_BYTES = 20_000_000
MAX_TEXT_CHARS = 2_000_000
SUPPORTED = {
    ".md": "Markdown",
    ".markdown": "Markdown",
    ".txt": "text",
    ".html": "HTML",
    ".htm": "HTML",
    ".pdf": "PDF",
    ".docx": "Word (DOCX)",
}


@dataclass(frozen=True)
class Document:
    """Text of one file, as Markdown so headings survive chunking."""

    title: str
    markdown: str
    url: str = ""
    date: str | None = None
    language: str = "und"
    review_by: str | None = None  # YYYY-MM-DD, from a Markdown file's front matter


def read_file(path: Path) -> Document:
    """Read one supported file, or raise an InputError that says why not."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        kinds = ", ".join(sorted(set(SUPPORTED.values())))
        raise InputError(f"{path.name}: unsupported file type '{suffix or 'none'}'; use {kinds}.")
    data = path.read_bytes()
    if not data.strip():
        raise InputError(f"{path.name}: the file is empty.")
    review_by = None
    match suffix:
        case ".pdf":
            title, text, date = _read_pdf(path, data)
            url = ""
        case ".docx":
            title, text, date = _read_docx(path, data)
            url = ""
        case ".html" | ".htm":
            title, text, date, url = _read_html(path, data)
        case _:
            text = decode_text(path.name, data)
            title, date, url = _first_heading(text) or path.stem, None, ""
            if SUPPORTED[suffix] == "Markdown":
                review_by = _review_by(path.name, text)
    text = text.strip()
    if not text:
        raise InputError(f"{path.name}: no text could be read from this {SUPPORTED[suffix]} file.")
    if len(text) > MAX_TEXT_CHARS:
        raise InputError(f"{path.name}: more than {MAX_TEXT_CHARS:,} characters of text.")
    return Document(title or path.stem, text, url, date, detect_language(text), review_by)


def _review_by(name: str, text: str) -> str | None:
    """The `review_by` date of a Markdown file's front matter (YYYY-MM-DD), if it has one."""
    try:
        header, _ = split_front_matter(text)
    except (ValueError, yaml.YAMLError):  # a leading "---" rule, not front matter
        return None
    try:
        review_by = parse_date(header.get("review_by"))
    except ValueError as exc:
        raise InputError(f"{name}: review_by in the front matter: {exc}.") from None
    return review_by.isoformat() if review_by else None


# Encodings offices meet for Clarion's languages; limiting detection to them avoids
# short German text being mistaken for an East Asian code page.
COMMON_ENCODINGS = [
    "cp1252",
    "iso8859_15",
    "cp1250",
    "cp1251",
    "koi8_r",
    "cp1254",
    "cp1256",
    "iso8859_6",
    "iso8859_9",
    "mac_roman",
    "cp850",
]


def decode_text(name: str, data: bytes) -> str:
    """Decode text in any common encoding (BOM, UTF-8, then the likeliest code page)."""
    for bom, codec in ((b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            return data.decode(codec, errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(data, cp_isolation=COMMON_ENCODINGS).best()
        if best is None:
            raise InputError(f"{name}: not readable as text in any common encoding.") from None
        return str(best)


def _first_heading(text: str) -> str | None:
    match = re.search(r"^#\s+(.+)$", text, flags=re.MULTILINE)
    return match.group(1).strip() if match else None


def _read_pdf(path: Path, data: bytes) -> tuple[str, str, str | None]:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise InputError(f"{path.name}: the PDF is encrypted; upload an unprotected copy.")
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise InputError(f"{path.name}: not a readable PDF ({exc}).") from exc
    title = str(info.title) if info and info.title else path.stem
    date = info.creation_date.date().isoformat() if info and info.creation_date else None
    text = "\n\n".join(
        f"## Page {n}\n{page.strip()}" for n, page in enumerate(pages, 1) if page.strip()
    )
    return title, text, date


def _read_docx(path: Path, data: bytes) -> tuple[str, str, str | None]:
    import io
    import zipfile

    from docx import Document as DocxDocument

    check_archive(path.name, data)
    try:
        doc = DocxDocument(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise InputError(f"{path.name}: not a valid Word (DOCX) file ({exc}).") from exc
    lines = []
    for para in doc.paragraphs:
        style = (para.style.name if para.style is not None else "") or ""
        level = style.removeprefix("Heading ").strip()
        prefix = "#" * int(level) + " " if style.startswith("Heading") and level.isdigit() else ""
        if style == "Title":
            prefix = "# "
        if para.text.strip():
            lines.append(prefix + para.text.strip())
    props = doc.core_properties
    date = props.modified or props.created
    return props.title or path.stem, "\n\n".join(lines), date.date().isoformat() if date else None


MAX_ARCHIVE_BYTES = 100_000_000
MAX_ARCHIVE_RATIO = 100


def check_archive(name: str, data: bytes) -> None:
    """Refuse a ZIP-based file that would inflate beyond the limits (a zip bomb)."""
    import io
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise InputError(f"{name}: not a valid Word (DOCX) file ({exc}).") from exc
    if total > MAX_ARCHIVE_BYTES or total > MAX_ARCHIVE_RATIO * max(len(data), 1) + 10_000_000:
        raise InputError(
            f"{name}: the archive would inflate to {total:,} bytes; the limit is "
            f"{MAX_ARCHIVE_BYTES:,} bytes (or {MAX_ARCHIVE_RATIO}x its size)."
        )


def _read_html(path: Path, data: bytes) -> tuple[str, str, str | None, str]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(decode_text(path.name, data), "html.parser")
    for tag in soup(["script", "style", "noscript", "template", "iframe", "object", "nav"]):
        tag.decompose()
    canonical = soup.find("link", rel="canonical")
    url = str(canonical.get("href", "")) if canonical else ""
    modified = soup.find("meta", attrs={"name": re.compile("modified|date", re.I)})
    date = str(modified.get("content", ""))[:10] if modified else None
    title = soup.title.get_text(strip=True) if soup.title else path.stem
    lines = []
    for element in soup.find_all(["h1", "h2", "h3", "h4", "p", "li", "td"]):
        text = element.get_text(" ", strip=True)
        if not text:
            continue
        if element.name in ("h1", "h2", "h3", "h4"):
            lines.append("#" * int(element.name[1]) + " " + text)
        else:
            lines.append(("- " if element.name == "li" else "") + text)
    return title, "\n\n".join(lines), date or None, url
