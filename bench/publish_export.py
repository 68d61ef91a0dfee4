"""Export time of a 48-cell pack with every format: 4 audiences × 4 channels (SMS, letter,
poster, social) × 3 languages (de, ar, de-leicht).

    .venv/bin/python -m bench.publish_export [--rounds 1]

Per cell: the review Markdown and DOCX every pack has, plus the publication files of its
channel (comms/packs/publications.py): posters A4 and A3 (PDF/UA-1), sharepics 1080 × 1080 and
1080 × 1350 (PNG) with alt text, the DIN 5008 letter (DOCX), and the SMS gateway CSV; then the
ZIP. The messages are fixed texts (no model): this measures the export, not the drafting.
Prints the time per cell by channel, the sizes per file kind and the checkers' results.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from comms.packs.archive import write_zip
from comms.packs.campaign import Campaign, Cell, Sender, cells
from comms.packs.publications import publication_files
from comms.packs.render import Layout, PackItem, docx_bytes, markdown
from comms.packs.store import PackMessage
from comms.publish.conformance import docx_problems, pdf_problems
from comms.publish.sheet import LOCALE
from comms.report import EMPTY_REPORT
from core.catalog import base_language
from core.settings import load_settings

TEXTS = {
    "de": "Die Grippeimpfung schützt Sie und andere im Winter. Lassen Sie sich jetzt impfen.\n"
    "Die Impfung ist kostenlos und dauert nur wenige Minuten.",
    "de-leicht": "Die Grippe-Impfung schützt Sie.\nDie Impfung kostet nichts.",
    "ar": "تطعيم الإنفلونزا يحميك ويحمي الآخرين في الشتاء. احصل على التطعيم الآن.",
}
TARGET_S = 2.0


def campaign() -> Campaign:
    return Campaign.model_validate(
        {
            "id": "bench-publish",
            "name": "Grippe 2026",
            "topic": "flu",
            "facts": {"what": "Grippeimpfung 2026", "when": "02.11.–27.11.2026",
                      "where": "Gesundheitsamt Musterstadt, Marktplatz 1", "cost": "kostenlos",
                      "booking": "https://impfen.example.org/termin"},
            "audiences": ["older-adults", "health-workers", "parents-infants", "pregnant"],
            "channels": ["sms", "letter", "poster", "social"],
            "languages": list(TEXTS),
            "sender": Sender(name="Gesundheitsamt Musterstadt", address=["Marktplatz 1"]),
        }
    )  # fmt: skip


def items(pack: Campaign) -> list[PackItem]:
    def message(cell: Cell) -> PackMessage:
        return PackMessage(pack.id, cell, "approved", TEXTS[cell.language], EMPTY_REPORT, {}, 1, 1,
                           "bench")  # fmt: skip

    return [
        PackItem(message(c), ("bench",), f"messages/{c.language}/{c.audience}__{c.channel}__v1")
        for c in cells(pack)
    ]


def export_once(folder: Path) -> tuple[dict[str, float], dict[str, bytes], float]:
    """Mean seconds per cell by channel, the files, and the whole export's seconds."""
    settings = load_settings(data_dir=folder / "data")
    pack = campaign()
    layout = Layout(pack, False, "de", dt.date(2026, 10, 1))
    per_cell: dict[str, float] = {}
    files: dict[str, bytes] = {}
    started = time.perf_counter()
    for channel in pack.channels:  # the publication files of one channel's cells together
        chosen = [item for item in items(pack) if item.cell.channel == channel]
        begun = time.perf_counter()
        for item in chosen:
            files[item.name + ".md"] = markdown(layout, item).encode("utf-8")
            files[item.name + ".docx"] = docx_bytes(layout, item)
        files |= publication_files(settings, layout, chosen, set())
        per_cell[channel] = (time.perf_counter() - begun) / len(chosen)
    write_zip(folder / "pack.zip", files)
    return per_cell, files, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    print(f"cores available: {len(os.sched_getaffinity(0))}, load {os.getloadavg()[0]:.1f}")
    for round_ in range(args.rounds):
        with tempfile.TemporaryDirectory() as temp:
            per_channel, files, total = export_once(Path(temp))
            zipped = (Path(temp) / "pack.zip").stat().st_size
        cells_count = len(cells(campaign()))
        per_cell = total / cells_count
        print(f"\nround {round_ + 1}: {cells_count} cells in {total:.1f} s, {per_cell:.2f} s "
              f"per cell (target ≤ {TARGET_S} s), ZIP {zipped / 1e6:.1f} MB")  # fmt: skip
        print("\n| channel | s per cell (mean of 12) |\n|---|---|")
        for channel, seconds in per_channel.items():
            print(f"| {channel} | {seconds:.2f} |")
    sizes: dict[str, list[int]] = defaultdict(list)
    for name, data in files.items():
        sizes[name.split(".", 1)[1] if "." in name else name].append(len(data))
    print("\n| file | count | median kB | max kB |\n|---|---|---|---|")
    for kind, values in sorted(sizes.items()):
        print(f"| {kind} | {len(values)} | {statistics.median(values) / 1e3:.1f} | "
              f"{max(values) / 1e3:.1f} |")  # fmt: skip
    pdf_s, png_s = sharepic_split()
    print(f"\nsharepic 1080 × 1080, median of 12: WeasyPrint HTML → PDF {pdf_s:.2f} s, "
          f"pypdfium2 PDF → PNG {png_s:.3f} s")  # fmt: skip
    pdfs = [n for n in files if n.endswith(".pdf")]
    letters = [n for n in files if n.endswith(".din5008.docx")]
    failed_pdf = [n for n in pdfs if pdf_problems(files[n], n.split("/")[1])]
    failed_docx = [n for n in letters if docx_problems(files[n], _locale(n))]
    print(f"\nPDF/UA checks (tags, MarkInfo, /Lang, pdfuaid, title, figure alt): "
          f"{len(pdfs) - len(failed_pdf)} of {len(pdfs)} pass")  # fmt: skip
    print(f"DOCX checks (w:lang, headings, descr, no tables, property order): "
          f"{len(letters) - len(failed_docx)} of {len(letters)} pass")  # fmt: skip


def sharepic_split(rounds: int = 12) -> tuple[float, float]:
    """Median seconds of a square sharepic's two steps: WeasyPrint's PDF, PDFium's PNG."""
    import io

    import pypdfium2 as pdfium

    from comms.publish.design import load_design
    from comms.publish.poster import render_pdf
    from comms.publish.sheet import Piece, make_sheet

    sheet = make_sheet(Piece(TEXTS["de"], "de", campaign().fact_sheet))
    design, pdf_s, png_s = load_design(), [], []
    for _ in range(rounds):
        begun = time.perf_counter()
        pdf = render_pdf(sheet, design, "sharepic square")
        middle = time.perf_counter()
        document = pdfium.PdfDocument(pdf)
        document[0].render(scale=96 / 72).to_pil().save(io.BytesIO(), format="PNG")
        document.close()
        pdf_s.append(middle - begun)
        png_s.append(time.perf_counter() - middle)
    return statistics.median(pdf_s), statistics.median(png_s)


def _locale(name: str) -> str:
    return LOCALE[base_language(name.split("/")[1])]


if __name__ == "__main__":
    main()
