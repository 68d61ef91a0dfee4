"""Living evidence end to end with real parts: an NHS page ingested into real Chroma with the
real embedder, a pack composed from a map that cites it, two cells approved; then an edited
copy of the page (one figure in one section) and, last, the page removed by a folder sync."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from comms.maps.evidence_flags import changed_facts
from comms.maps.library import MAPS_DIR
from comms.packs.archive import export_pack
from comms.packs.campaign import Campaign, Sender
from comms.packs.evidence_flags import changed_cells
from comms.packs.generation import create_campaign, generate_pack, regenerate_cell
from comms.packs.review import approve, confirm_evidence
from comms.packs.store import PackStore
from core.database import location
from core.errors import InputError
from core.settings import Settings, load_settings
from knowledge.history.versions import changed_sentences, diff
from knowledge.ingest import sync_folder
from knowledge.retrieval.store import Store
from knowledge.sources.chunks import content_hash
from tests.conftest import CORPUS

PAGE = CORPUS / "nhs-vaccinations" / "mmr-vaccine.html"
SOURCE = "file-mmr-vaccine.html"
OLD, NEW = "at least 1 month apart", "at least 3 months apart"
SECTION = "How the MMR vaccine is given"
pytestmark = pytest.mark.e2e

# The office's measles map: a fact of the overarching key messages cites the NHS page's section
# on how the vaccine is given, the side-effects fact another section of the same page.
FACT_DOSES = """      - id: doses-apart
        source: file-mmr-vaccine.html
        text:
          de: Für vollen Schutz braucht es 2 Impfungen im Abstand von mindestens 1 Monat.
          en: Full protection takes 2 doses, given at least 1 month apart.
          de-einfach: Für vollen Schutz braucht man 2 Impfungen. Dazwischen liegt 1 Monat.
          de-leicht: Man braucht 2 Impfungen. Dazwischen ist 1 Monat Pause.
"""
FACT_SIDE_EFFECTS = """          - id: fever-rash-frequency
            source: file-mmr-vaccine.html
            text:
              de: Häufige Nebenwirkungen sind leicht und dauern nur 2 bis 3 Tage.
              en: Common side effects are mild and last only 2 to 3 days.
              de-einfach: Häufige Nebenwirkungen sind leicht. Sie dauern 2 bis 3 Tage.
              de-leicht: Die Neben-Wirkungen sind leicht. Sie dauern 2 bis 3 Tage.
"""


def office_map() -> str:
    """The shipped measles map with two of its facts citing the ingested NHS page."""
    text = (MAPS_DIR / "measles.yaml").read_text(encoding="utf-8")
    start = text.index("          - id: fever-rash-frequency\n")
    end = text.index("      - id: serious-rare\n", start)
    text = text[:start] + FACT_SIDE_EFFECTS + text[end:]
    start = text.index("      - id: second-dose-not-booster\n")
    end = text.index("  - id: measles-serious\n", start)
    return text[:start] + FACT_DOSES + text[end:]


def campaign() -> Campaign:
    return Campaign.model_validate(
        {
            "id": "masern-2026",
            "name": "Masern 2026",
            "topic": "measles",
            "facts": {"when": "ab sofort", "where": "Gesundheitsamt Musterstadt"},
            "audiences": ["parents-infants", "hesitant", "older-adults"],
            "channels": ["sms", "letter"],
            "languages": ["de", "en"],
            "sender": Sender(name="Gesundheitsamt Musterstadt", address=["Marktplatz 1"]),
        }
    )


def cited_hashes(message: dict[str, Any]) -> set[str]:
    return {str(c.get("content_hash")) for c in message.get("citations", [])}


@pytest.fixture
def office(tmp_path: Path, real_embedder: Any) -> tuple[Settings, Store, Path]:
    settings = load_settings(data_dir=tmp_path / "data")
    (settings.data_dir / "maps").mkdir(parents=True)
    folder = tmp_path / "Impfempfehlungen"
    folder.mkdir()
    shutil.copy(PAGE, folder / PAGE.name)
    store = Store(settings, real_embedder)
    from knowledge.ingest import sync_corpus

    sync_corpus(store)
    first = sync_folder(store, folder, remove=False)
    assert [(r.source_id, r.status, r.version) for r in first.results] == [(SOURCE, "added", 1)]
    (settings.data_dir / "maps" / "measles.yaml").write_text(office_map(), encoding="utf-8")
    return settings, store, folder


def test_a_changed_figure_flags_exactly_the_messages_and_facts_that_cite_its_section(
    office: tuple[Settings, Store, Path],
) -> None:
    settings, store, folder = office
    packs = PackStore(settings)
    create_campaign(packs, campaign(), settings=settings, user="anna")
    run = generate_pack(packs, "masern-2026", settings=settings, knowledge=store, user="anna")
    assert len(run.generated) == 12 and not run.failed
    chunks = {cid: (section, text) for cid, section, text in store.chunks_of(SOURCE)}
    changed_id = next(cid for cid, (_, text) in chunks.items() if OLD in text)
    assert SECTION in chunks[changed_id][0]
    old_hash = content_hash(chunks[changed_id][1])
    messages = packs.messages("masern-2026")
    citing = {m.cell for m in messages if old_hash in cited_hashes(m.message)}
    others = {m.cell for m in messages} - citing
    assert citing and others  # the pack has both kinds of cell

    approved = [sorted(citing, key=lambda c: c.key)[0], sorted(others, key=lambda c: c.key)[0]]
    for cell in approved:
        approve(packs, "masern-2026", cell, user="rita", revision=None)

    # An edited copy of the page: one figure in one section. The audit trail keeps time to the
    # second: a second apart, as people's steps are, its order is the order of the steps.
    time.sleep(1.1)
    edited = PAGE.read_text(encoding="utf-8").replace(OLD, NEW)
    (folder / PAGE.name).write_text(edited, encoding="utf-8")
    second = sync_folder(store, folder, remove=False, author="ben")
    result = second.results[0]
    assert (result.status, result.version) == ("replaced", 2)
    assert result.impact is not None and result.impact.changed_passages == 1

    flagged = {item.cell for item in changed_cells(settings, "masern-2026")}
    assert flagged == citing
    facts = changed_facts(settings, "measles")
    assert list(facts) == ["measles/doses-apart"]  # not the side-effects fact, same page
    flag = facts["measles/doses-apart"][0]
    assert OLD in flag.old_text and NEW in flag.new_text

    changes = diff(location(settings), SOURCE, 1, 2)
    assert [c.change for c in changes].count("changed") == 1
    changed = next(c for c in changes if c.change == "changed")
    removed, added = changed_sentences(changed.old.text, changed.new.text)  # type: ignore[union-attr]
    assert any(OLD in s for s in removed) and any(NEW in s for s in added)
    assert len(removed) == len(added) == 1

    time.sleep(1.1)
    out = settings.data_dir / "exports"
    exported = export_pack(packs, "masern-2026", out / "pack.zip", user="rita")
    assert [item.cell for item in exported.evidence_changed] == [approved[0]]
    with pytest.raises(InputError, match="cite evidence that changed since"):
        export_pack(packs, "masern-2026", out / "strict.zip", user="rita", strict=True)
    assert not (out / "strict.zip").exists()

    regenerated_cell, confirmed_cell = sorted(citing, key=lambda c: c.key)[:2]
    fresh = regenerate_cell(
        packs, "masern-2026", regenerated_cell, settings=settings, knowledge=store, user="rita"
    )
    new_hash = content_hash(next(t for _, _, t in store.chunks_of(SOURCE) if NEW in t))
    assert new_hash in cited_hashes(fresh.message) and old_hash not in cited_hashes(fresh.message)
    confirm_evidence(
        packs, "masern-2026", confirmed_cell, user="rita", reason="4 Tage steht so im Brief"
    )
    still = {item.cell for item in changed_cells(settings, "masern-2026")}
    assert still == citing - {regenerated_cell, confirmed_cell}

    events = packs.events("masern-2026")
    actions = [e.action for e in events]
    for action in ("generate", "approve", "evidence_changed", "export", "regenerate",
                   "evidence_regenerated", "evidence_confirmed"):  # fmt: skip
        assert action in actions, action
    assert actions.index("approve") < actions.index("evidence_changed") < actions.index("export")
    link = next(e for e in events if e.action == "evidence_regenerated")
    assert link.cell == regenerated_cell
    assert f"revision {fresh.revision} replaces revision {fresh.revision - 1}" in link.detail
    confirmation = next(e for e in events if e.action == "evidence_confirmed")
    assert "4 Tage steht so im Brief" in confirmation.detail and confirmation.user == "rita"
    changed_by = {e.user for e in events if e.action == "evidence_changed"}
    assert changed_by == {"ben"}

    # The file leaves the folder: every cell that cites the page is flagged "source removed".
    (folder / PAGE.name).unlink()
    gone = sync_folder(store, folder, remove=True)
    assert [r.status for r in gone.removed] == ["removed"]
    citing_now = {
        m.cell
        for m in packs.messages("masern-2026")
        if any(c.get("source_id") == SOURCE for c in m.message.get("citations", []))
    }
    removed_cells = {
        item.cell for item in changed_cells(settings, "masern-2026")
        if any(f.source_status == "removed" for f in item.flags)
    }  # fmt: skip
    assert removed_cells == citing_now and len(citing_now) == 4
