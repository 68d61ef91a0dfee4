"""Helpers shared by the publish tests: a fact sheet, an office, a sheet per language, and
LibreOffice to print a letter."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

from comms.campaign_facts import CampaignFacts
from comms.office import Office
from comms.publish.sheet import Piece, Sheet, make_sheet

FACTS = CampaignFacts(
    what="Grippeimpfung 2026",
    when="02.11.–27.11.2026",
    where="Gesundheitsamt Musterstadt, Marktplatz 1",
    cost="kostenlos",
    booking="https://impfen.example.org/termin",
    translations={"ar": {"what": "تطعيم الإنفلونزا", "where": "مكتب الصحة، السوق 1",
                         "cost": "مجاني", "when": "2.11.–27.11.2026"}},
)  # fmt: skip
OFFICE = Office(
    name={"de": "Gesundheitsamt Musterstadt", "ar": "مكتب الصحة في موسترشتات"},
    address=["Marktplatz 1", "12345 Musterstadt"],
    phone="0123 456789",
    email="impfen@musterstadt.example",
    sign_off={"de": "Mit freundlichen Grüßen"},
)
TEXTS = {
    "de": "Die Grippeimpfung schützt Sie im Winter. Lassen Sie sich jetzt impfen.\n"
    "Die Impfung dauert nur wenige Minuten.",
    "de-leicht": "Die Grippe-Impfung schützt Sie.\nDie Impfung ist kostenlos.",
    "ar": "تطعيم الإنفلونزا يحميك في الشتاء. احصل على التطعيم الآن.",
    "en": "The flu vaccine protects you in winter. Book your appointment now.",
}
DAY = dt.date(2026, 10, 1)


def sheet(language: str, text: str | None = None, **changes: object) -> Sheet:
    """The sheet of the language's sample text, signed by the sample office."""
    piece = Piece(
        text=text if text is not None else TEXTS[language],
        language=language,
        facts=FACTS,
        office=OFFICE,
        day=DAY,
        sources=("RKI: Epidemiologisches Bulletin 2026, https://www.rki.de (2026-01-10)",),
    )
    return make_sheet(Piece(**{**vars(piece), **changes}))  # type: ignore[arg-type]


SOFFICE = shutil.which("soffice")
SOFFICE_SECONDS = 120  # measured 1.4 s for three letters on an idle 2-core machine


def office_pdfs(documents: dict[str, bytes], folder: Path) -> dict[str, bytes]:
    """Each .docx printed to PDF by LibreOffice Writer (`soffice --headless`), in one run.

    A private profile (UserInstallation) per run: two runs, or a root run beside a user's
    LibreOffice, would otherwise share one profile and hand the work to each other."""
    if SOFFICE is None:
        raise RuntimeError("soffice (LibreOffice) is missing: `make office` installs it")
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in documents.items():
        (folder / f"{name}.docx").write_bytes(data)
    command = [
        *(SOFFICE, f"-env:UserInstallation={(folder / 'profile').as_uri()}"),
        *("--headless", "--norestore", "--convert-to", "pdf", "--outdir", str(folder / "pdf")),
        *(str(folder / f"{name}.docx") for name in documents),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=SOFFICE_SECONDS)
    missing = [n for n in documents if not (folder / "pdf" / f"{n}.pdf").is_file()]
    if done.returncode or missing:  # soffice exits 0 when a conversion fails: check the files
        raise RuntimeError(
            f"soffice did not print {missing or list(documents)} (exit {done.returncode}): "
            f"{done.stdout.strip()} {done.stderr.strip()}"
        )
    return {name: (folder / "pdf" / f"{name}.pdf").read_bytes() for name in documents}
