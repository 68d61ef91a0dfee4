"""Helpers shared by the publish tests: a fact sheet, an office, a sheet per language."""

from __future__ import annotations

import datetime as dt

from comms.facts import FactSheet
from comms.office import Office
from comms.publish.sheet import Piece, Sheet, make_sheet

FACTS = FactSheet(
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
