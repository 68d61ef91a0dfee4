"""Source versions: passages matched between versions, the history, the diff, pins and flags,
and a folder kept in sync (fake embedder, real Chroma and SQLite)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.database import location, transaction
from core.errors import InputError
from core.settings import Settings
from knowledge.__main__ import main as knowledge_main
from knowledge.history.pins import (
    Pin,
    cell_owner,
    fact_owner,
    flags,
    pins_of,
    replace_pins,
    resolve,
)
from knowledge.history.versions import (
    Passage,
    changed_sentences,
    diff,
    match_passages,
    versions,
)
from knowledge.ingest import ingest_paths, remove_source, sync_folder
from knowledge.retrieval.store import Store
from tests.conftest import FakeEmbedder

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

SOURCE = """# Measles vaccine

## Who should get it

Children get two doses: the first at 11 months and the second at 15 months.
Adults born after 1970 get one dose if they never had one.

## Side effects

A sore arm and a mild fever are common. They pass within 3 days.

## How to book

Call your doctor's practice or the health office.
"""


def p(position: int, section: str, text: str) -> Passage:
    return Passage(position, f"s#{position}", section, f"h-{text}", text)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ([p(0, "A", "one two three four")], [p(0, "A", "one two three four")], ["unchanged"]),
        (
            [p(0, "A", "one two three four five six")],
            [p(0, "A", "one two three four five seven")],
            ["changed"],
        ),
        ([p(0, "A", "one two three")], [], ["removed"]),
        ([], [p(0, "A", "one two three")], ["new"]),
        (  # unlike text under the same heading: the old one removed, the new one new
            [p(0, "A", "alpha beta gamma delta")],
            [p(0, "A", "one two three four")],
            ["removed", "new"],
        ),
        (  # a renamed heading with nearly the same text is the same passage, changed
            [p(0, "Old", "a b c d e f g h i j")],
            [p(0, "New", "a b c d e f g h i k")],
            ["changed"],
        ),
        (  # a moved passage with identical text is unchanged
            [p(0, "A", "x y z"), p(1, "B", "u v w")],
            [p(0, "B", "u v w"), p(1, "A", "x y z")],
            ["unchanged", "unchanged"],
        ),
    ],
)
def test_passages_are_matched_between_versions(
    old: list[Passage], new: list[Passage], expected: list[str]
) -> None:
    assert [c.change for c in match_passages(old, new)] == expected


def test_changed_sentences_name_only_what_differs() -> None:
    removed, added = changed_sentences(
        "Children get two doses. They are free.", "Children get three doses. They are free."
    )
    assert removed == ["Children get two doses."]
    assert added == ["Children get three doses."]


@pytest.fixture
def store(settings: Settings) -> Store:
    return Store(settings, FakeEmbedder())


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_each_changed_ingest_is_a_version_with_passage_changes(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    path = write(tmp_path / "in", "measles.md", SOURCE)
    first = ingest_paths(store, [path], author="anna")[0]
    assert (first.status, first.version) == ("added", 1)
    again = ingest_paths(store, [path])[0]
    assert (again.status, again.version) == ("unchanged", 0)
    write(tmp_path / "in", "measles.md", SOURCE.replace("15 months", "18 months"))
    second = ingest_paths(store, [path], author="ben")[0]
    assert (second.status, second.version) == ("replaced", 2)
    found = versions(location(settings), "file-measles.md")
    assert [(v.number, v.status, v.author) for v in found] == [
        (1, "added", "anna"),
        (2, "changed", "ben"),
    ]
    changes = diff(location(settings), "file-measles.md", 1, 2)
    kinds = [c.change for c in changes]
    assert kinds.count("changed") == 1 and kinds.count("unchanged") == len(kinds) - 1
    changed = next(c for c in changes if c.change == "changed")
    assert changed.new is not None and changed.new.section == "Measles vaccine / Who should get it"
    assert changed_sentences(changed.old.text, changed.new.text) == (  # type: ignore[union-attr]
        ["Children get two doses: the first at 11 months and the second at 15 months."],
        ["Children get two doses: the first at 11 months and the second at 18 months."],
    )


def test_history_and_diff_errors_name_what_exists(store: Store, settings: Settings) -> None:
    with pytest.raises(InputError, match="No history for 'file-x.md'"):
        versions(location(settings), "file-x.md")
    ingest_paths(store, [write(settings.data_dir.parent / "in", "x.md", SOURCE)])
    with pytest.raises(InputError, match="has no version 3; it has 1"):
        diff(location(settings), "file-x.md", 1, 3)


def pin_cell(settings: Settings, owner: str, store: Store, section_word: str) -> None:
    chunks = [c for c in store.chunks_of("file-measles.md") if section_word in c[1]]
    from knowledge.sources.chunks import content_hash

    with transaction(location(settings), write=True, what="test") as db:
        kind = "cell" if owner.startswith("cell:") else "fact"
        pins = [Pin("file-measles.md", cid, content_hash(text)) for cid, _, text in chunks]
        replace_pins(db, owner, kind, pins)  # type: ignore[arg-type]


def test_only_owners_of_a_changed_passage_are_flagged_and_confirming_moves_the_pin(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    path = write(tmp_path / "in", "measles.md", SOURCE)
    ingest_paths(store, [path])
    dose, side = (
        cell_owner("c", "parents-infants", "sms", "de", 1),
        cell_owner("c", "x", "sms", "de", 1),
    )
    fact = fact_owner("measles", "f-doses")
    pin_cell(settings, dose, store, "Who should get it")
    pin_cell(settings, side, store, "Side effects")
    pin_cell(settings, fact, store, "Who should get it")
    write(tmp_path / "in", "measles.md", SOURCE.replace("15 months", "18 months"))
    result = ingest_paths(store, [path])[0]
    assert result.impact is not None
    assert (result.impact.cells, result.impact.facts) == ([dose], [fact])
    found = flags(location(settings))
    assert {f.owner for f in found} == {dose, fact}
    flag = next(f for f in found if f.owner == dose)
    assert "15 months" in flag.old_text and "18 months" in flag.new_text
    assert flag.change == "changed" and flag.version == 2
    with transaction(location(settings), write=True, what="test") as db:
        with pytest.raises(InputError, match="a reason is required"):
            resolve(db, dose, "confirmed", "rita", "  ")
        closed = resolve(db, dose, "confirmed", "rita", "18 months is what we say already")
    assert len(closed) == 1
    assert {f.owner for f in flags(location(settings))} == {fact}
    resolved = [f for f in flags(location(settings), dose, include_resolved=True)]
    assert [(f.resolution, f.resolved_by) for f in resolved] == [("confirmed", "rita")]
    pinned = pins_of(location(settings), dose)
    new_chunk = next(c for c in store.chunks_of("file-measles.md") if "18 months" in c[2])
    assert [p.chunk_id for p in pinned] == [new_chunk[0]]


def test_removing_a_source_flags_its_citing_owners_as_removed(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    ingest_paths(store, [write(tmp_path / "in", "measles.md", SOURCE)])
    owner = cell_owner("c", "older-adults", "letter", "en", 1)
    pin_cell(settings, owner, store, "Side effects")
    result = remove_source(store, "file-measles.md")
    assert result.status == "removed" and result.impact and result.impact.cells == [owner]
    assert {f.change for f in flags(location(settings))} == {"removed"}
    assert versions(location(settings), "file-measles.md")[-1].status == "removed"
    assert store.chunks_of("file-measles.md") == []


def test_a_store_made_before_the_history_gets_its_first_version_on_the_next_change(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    path = write(tmp_path / "in", "measles.md", SOURCE)
    ingest_paths(store, [path])
    with transaction(location(settings), write=True, what="test") as db:
        for table in ("source_versions", "source_chunks", "source_changes"):
            db.execute(f"DELETE FROM {table}")
    write(tmp_path / "in", "measles.md", SOURCE.replace("3 days", "2 days"))
    assert ingest_paths(store, [path])[0].version == 2
    kinds = [c.change for c in diff(location(settings), "file-measles.md", 1, 2)]
    assert kinds.count("changed") == 1


def test_a_folder_stays_in_sync(store: Store, settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "Impfempfehlungen"
    write(folder, "measles.md", SOURCE)
    write(folder / "sub", "flu.md", "# Flu\n\nThe flu vaccine is offered every autumn.\n")
    first = sync_folder(store, folder, remove=False)
    assert sorted(r.status for r in first.results) == ["added", "added"]
    write(folder, "measles.md", SOURCE.replace("3 days", "2 days"))
    (folder / "sub" / "flu.md").unlink()
    second = sync_folder(store, folder, remove=False)
    by_id = {r.source_id: r.status for r in second.results}
    assert by_id == {"file-measles.md": "replaced"}
    assert second.gone == ["file-flu.md"] and second.removed == []
    assert store.chunks_of("file-flu.md")  # kept until removal is confirmed
    third = sync_folder(store, folder, remove=True)
    assert [r.status for r in third.removed] == ["removed"]
    assert store.chunks_of("file-flu.md") == []


def test_a_folder_with_two_files_of_one_name_is_refused(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write(folder / "a", "same.md", "# A\n\nOne text here.\n")
    write(folder / "b", "same.md", "# B\n\nAnother text here.\n")
    with pytest.raises(InputError, match="have the same name"):
        sync_folder(store, folder, remove=False)
    assert store.count() == 0


def test_cli_history_diff_and_sync(
    store: Store, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "folder"
    write(folder, "measles.md", SOURCE)
    assert knowledge_main(["sync", str(folder)]) == 0
    assert "added: Measles vaccine" in capsys.readouterr().out
    write(folder, "measles.md", SOURCE.replace("15 months", "18 months"))
    assert knowledge_main(["sync", str(folder), "--json"]) == 0
    synced = json.loads(capsys.readouterr().out)
    assert [r["version"] for r in synced["results"]] == [2]
    assert knowledge_main(["history", "file-measles.md"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["v1", "v2"]
    assert knowledge_main(["diff", "file-measles.md", "1", "2"]) == 0
    out = capsys.readouterr().out
    assert "[changed] Measles vaccine / Who should get it" in out
    assert "- Children get two doses: the first at 11 months and the second at 15 months." in out
    assert "+ Children get two doses: the first at 11 months and the second at 18 months." in out
    assert knowledge_main(["diff", "file-measles.md", "1", "2", "--json"]) == 0
    changes = json.loads(capsys.readouterr().out)
    assert [c["change"] for c in changes].count("changed") == 1
    assert knowledge_main(["diff", "file-measles.md", "1", "9"]) == 2
    assert "has no version 9" in capsys.readouterr().err
    (folder / "measles.md").unlink()
    assert knowledge_main(["sync", str(folder)]) == 0  # not a terminal: kept, and said so
    assert "--yes removes them" in capsys.readouterr().out
    assert knowledge_main(["sync", str(folder), "--yes"]) == 0
    assert "removed: Measles vaccine" in capsys.readouterr().out


def test_latest_versions_and_the_updates_list_read_the_history_without_a_store(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    from comms.packs.campaign import Cell
    from comms.packs.evidence_flags import updates
    from knowledge.history.versions import latest_versions

    assert latest_versions(location(settings)) == [] and not updates(settings)
    path = write(tmp_path / "in", "measles.md", SOURCE)
    ingest_paths(store, [path])
    ingest_paths(store, [write(tmp_path / "in", "flu.md", "# Flu\n\nEvery autumn.\n")])
    cell, fact = cell_owner("c", "older-adults", "sms", "de", 2), fact_owner("measles", "f-doses")
    pin_cell(settings, cell, store, "Who should get it")
    pin_cell(settings, fact, store, "Who should get it")
    write(tmp_path / "in", "measles.md", SOURCE.replace("15 months", "18 months"))
    ingest_paths(store, [path])
    remove_source(store, "file-flu.md")
    found = [(v.source_id, v.number, v.status) for v in latest_versions(location(settings))]
    assert found == [("file-flu.md", 2, "removed"), ("file-measles.md", 2, "changed")]
    listed = updates(settings)
    assert [(c.campaign_id, c.cell) for c in listed.cells] == [
        ("c", Cell("older-adults", "sms", "de", 2))
    ]
    assert (
        list(listed.facts) == ["measles/f-doses"]
        and listed.facts["measles/f-doses"][0].version == 2
    )
