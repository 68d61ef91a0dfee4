"""Exporting a pack as a ZIP and importing it back; damaged, foreign and zip-bomb ZIPs refused."""

from __future__ import annotations

import csv
import hmac
import io
import json
import shutil
import stat
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from docx import Document
from docx.shared import Pt

from comms.checks.sms import sms_info
from comms.maps.library import load_map
from comms.packs.archive import Manifest, PackFileError, export_pack, import_pack, read_manifest
from comms.packs.campaign import Cell
from comms.packs.generation import generate_pack
from comms.packs.review import add_comment, approve, edit_text
from comms.packs.signature import key_path, sign, signed_here
from comms.packs.store import PackStore
from comms.report import EMPTY_REPORT
from core.errors import ConfigError, InputError
from core.settings import load_settings
from tests.pack_helpers import generated, pack_settings, scripted, small_campaign

SMS = Cell("older-adults", "sms", "de")
LETTER = Cell("health-workers", "letter", "de")
POSTER = Cell("older-adults", "poster", "en")


@pytest.fixture
def packs(settings, fake_store):  # type: ignore[no-untyped-def]
    campaign = small_campaign(channels=["sms", "letter", "poster"])
    packs, _ = generated(pack_settings(settings), fake_store, campaign)
    for cell in (SMS, LETTER, POSTER):
        approve(packs, "flu-test", cell, user="Ann", revision=1)
    return packs


def _zip(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_an_export_holds_the_approved_messages_with_their_provenance(packs, tmp_path) -> None:  # type: ignore[no-untyped-def]
    add_comment(packs, "flu-test", SMS, "Passt.", user="Bo")
    result = export_pack(packs, "flu-test", tmp_path / "out" / "pack.zip", user="Ann")
    assert result.messages == 3 and not result.draft
    files = _zip(result.path)
    manifest = json.loads(files["manifest.json"])
    assert manifest["format"] == "clarion-pack" and manifest["draft"] is False
    assert (
        manifest["campaign"]["id"] == "flu-test" and manifest["template"]["id"] == "draft_message"
    )
    entries = {(m["audience"], m["channel"], m["language"]): m for m in manifest["messages"]}
    assert set(entries) == {
        ("older-adults", "sms", "de"),
        ("health-workers", "letter", "de"),
        ("older-adults", "poster", "en"),
    }
    version = load_map("flu", packs.settings).version
    assert manifest["map"] == {"id": "flu", "version": version, "in_effect": version}
    assert manifest["stale_cells"] == []
    sms = entries["older-adults", "sms", "de"]
    assert sms["status"] == "approved" and sms["approvals"] == ["Ann"]
    assert sms["model"]["model_id"] == "message map" and sms["seed"] == 42
    assert sms["generated"]["map"]["version"] == version == sms["template_version"]
    assert sms["evidence_ids"] and sms["sources"][0]["url"].startswith("https://")
    assert sms["sources"][0]["title"] and sms["sources"][0]["date"]
    assert sms["checks"]["items"]
    assert sms["checks"] == packs.message("flu-test", SMS).checks.model_dump(mode="json")
    assert [r["kind"] for r in sms["remarks"]] == ["approve", "comment"]
    assert sms["sms"]["segments"] == sms_info(sms["text"]).segments
    for name, digest in manifest["files"].items():
        assert name in files and len(digest) == 64
    assert set(files) == {"manifest.json", *manifest["files"]}
    exported = [e for e in packs.events("flu-test") if e.action == "export"]
    assert len(exported) == 3 and exported[0].detail == "approved export to pack.zip"
    assert [p.name for p in result.path.parent.iterdir()] == ["pack.zip"]  # no temp file left


def test_letter_and_poster_documents_open_with_their_layouts(packs, tmp_path) -> None:  # type: ignore[no-untyped-def]
    files = _zip(export_pack(packs, "flu-test", tmp_path / "p.zip", user="Ann").path)
    letter = Document(io.BytesIO(files["messages/de/health-workers__letter__v1.docx"]))
    lines = [p.text for p in letter.paragraphs]
    assert lines[:2] == ["Gesundheitsamt Musterstadt", "Marktplatz 1"]
    salutation = next(line for line in lines if line.startswith(("Sehr geehrte", "Liebe ")))
    assert "Mit freundlichen Grüßen" in lines
    assert lines.index(salutation) < lines.index("Mit freundlichen Grüßen")
    assert any(line.count(".") == 2 and line[:2].isdigit() for line in lines)  # the date
    assert letter.sections[0].page_width == pytest.approx(7560310, rel=1e-3)  # A4
    poster = Document(io.BytesIO(files["messages/en/older-adults__poster__v1.docx"]))
    heading = poster.paragraphs[0].runs[0]
    assert heading.bold and heading.font.size == Pt(44)
    poster_text = packs.message("flu-test", POSTER).text
    assert heading.text and poster_text.startswith(heading.text)
    assert poster.paragraphs[-1].text == "Gesundheitsamt Musterstadt"
    assert not poster.sections[0].header.paragraphs[0].text  # not a draft


def test_the_sms_csv_parses_with_segments_and_encoding(packs, tmp_path) -> None:  # type: ignore[no-untyped-def]
    long_text = "Grippeimpfung: " + "Schützen Sie sich und andere im Winter. " * 6
    edit_text(packs, "flu-test", SMS, long_text, user="Bo", revision=1)
    approve(packs, "flu-test", SMS, user="Ann", revision=2)
    files = _zip(export_pack(packs, "flu-test", tmp_path / "p.zip", user="Ann").path)
    [row] = list(csv.DictReader(io.StringIO(files["sms.csv"].decode("utf-8"))))
    info = sms_info(row["text"])
    assert row["recipient_group"] == "older-adults" and row["language"] == "de"
    assert row["text"] == long_text.strip() and int(row["segments"]) == info.segments == 2
    assert row["encoding"] == info.encoding == "GSM-7" and int(row["characters"]) == len(
        row["text"]
    )


def test_the_overview_escapes_everything_and_runs_no_script(packs, tmp_path) -> None:  # type: ignore[no-untyped-def]
    edit_text(packs, "flu-test", SMS, "<script>alert(1)</script> Impfung", user="Bo", revision=1)
    approve(packs, "flu-test", SMS, user="Ann", revision=2)
    page = _zip(export_pack(packs, "flu-test", tmp_path / "p.zip", user="Ann").path)["index.html"]
    text = page.decode("utf-8")
    assert "<script" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "Grippe &lt;Test&gt;" in text and "default-src &#x27;none&#x27;" in text
    assert 'href="messages/de/older-adults__sms__v1.docx"' in text


def test_nothing_approved_means_no_export_and_the_old_file_stays(
    settings, fake_store, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    packs, _ = generated(pack_settings(settings), fake_store)
    out = tmp_path / "pack.zip"
    out.write_bytes(b"previous")
    with pytest.raises(InputError, match="no approved messages yet"):
        export_pack(packs, "flu-test", out, user="Ann")
    assert out.read_bytes() == b"previous"


def test_a_draft_export_marks_every_file(settings, fake_store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    packs, _ = generated(pack_settings(settings), fake_store)
    result = export_pack(packs, "flu-test", tmp_path / "draft.zip", user="Ann", draft=True)
    files = _zip(result.path)
    manifest = json.loads(files["manifest.json"])
    assert manifest["draft"] is True and len(manifest["messages"]) == 8 == result.messages
    assert all(Path(name).name.startswith("DRAFT_") for name in files if name != "manifest.json")
    for name, data in files.items():
        if name.endswith(".md"):
            assert data.decode().startswith(
                "> **ENTWURF – nicht freigegeben / DRAFT – not approved**"
            )
        if name.endswith(".docx"):
            header = Document(io.BytesIO(data)).sections[0].header.paragraphs[0].text
            assert header == "ENTWURF – nicht freigegeben / DRAFT – not approved"
    assert "DRAFT – not approved" in files["DRAFT_index.html"].decode()
    rows = list(csv.DictReader(io.StringIO(files["DRAFT_sms.csv"].decode())))
    assert len(rows) == 4 and {r["draft"] for r in rows} == {"DRAFT"}


def _moved(packs: PackStore, path: Path) -> PackStore:
    """An empty pack database of the same installation: its key, another data directory."""
    settings = load_settings(data_dir=path, repair_tries=0)
    path.mkdir(parents=True)
    shutil.copy2(key_path(packs.settings), key_path(settings))  # keeps the 0600 mode
    return PackStore(settings)


def _reviewed_export(packs: PackStore, tmp_path: Path) -> Path:
    """A draft export after a comment on the SMS and an edit of the letter (revision 2)."""
    add_comment(packs, "flu-test", SMS, "Gut so.", user="Bo")
    edit_text(
        packs, "flu-test", LETTER, "Ein neuer Brief zur Grippeimpfung.", user="Bo", revision=1
    )
    return export_pack(packs, "flu-test", tmp_path / "p.zip", user="Ann", draft=True).path


def test_a_pack_this_installation_signed_comes_back_with_its_review_state(packs, tmp_path) -> None:  # type: ignore[no-untyped-def]
    zipped = _reviewed_export(packs, tmp_path)
    assert json.loads(_zip(zipped)["manifest.json"])["signature"].startswith("hmac-sha256:")
    there = _moved(packs, tmp_path / "moved")
    record = import_pack(there, zipped.read_bytes(), user="Cy")
    assert record.campaign == packs.campaign("flu-test").campaign
    assert record.template_text == packs.campaign("flu-test").template_text
    originals = {m.cell: replace(m, checks=EMPTY_REPORT) for m in packs.messages("flu-test")}
    imported = {m.cell: replace(m, checks=EMPTY_REPORT) for m in there.messages("flu-test")}
    assert imported == originals
    assert {m.cell: m.status for m in there.messages("flu-test")}[SMS] == "approved"
    assert there.remarks("flu-test", SMS) == packs.remarks("flu-test", SMS)
    assert there.approvers("flu-test", SMS, 1) == ["Ann"]
    assert "signed by this installation" in there.events("flu-test")[-1].detail
    with pytest.raises(InputError, match="already exists"):
        import_pack(there, zipped, user="Cy")


def test_the_checks_run_again_on_this_installations_evidence(packs, tmp_path) -> None:  # type: ignore[no-untyped-def]
    files = _signed_pack(packs, tmp_path)
    manifest = json.loads(files["manifest.json"])
    manifest["campaign"]["id"] = "flu-copy"  # a copy beside the original, in the same database
    claim = " 97 von 100 Geimpften bleiben gesund."
    for entry in manifest["messages"]:
        entry["checks"] = {"items": [], "score": 100}  # the file's claim: nothing to check
        if (entry["channel"], entry["language"]) == ("letter", "de"):
            entry["text"] += claim
            cited = entry["generated"]["citations"][0]["number"]
            entry["generated"]["evidence"][cited - 1]["text"] += claim  # the file's "evidence"
    data = _rezip({**files, "manifest.json": json.dumps(manifest).encode()})
    import_pack(packs, data, user="Cy")
    fresh = PackStore(load_settings(data_dir=tmp_path / "fresh"))
    import_pack(fresh, data, user="Cy")
    here = packs.message("flu-copy", LETTER)
    elsewhere = fresh.message("flu-copy", LETTER)
    assert here is not None and elsewhere is not None
    assert all(m.checks.items for m in packs.messages("flu-copy"))
    # This installation has the cited source: its passage does not say 97 of 100. A fresh
    # installation has only the pack's copy of the passage to go by.
    assert not here.checks.item("numbers_grounded").passed
    assert "97" in here.checks.item("numbers_grounded").reason
    assert elsewhere.checks.item("numbers_grounded").passed


def test_a_pack_from_another_installation_comes_in_as_drafts(packs, fake_store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    zipped = _reviewed_export(packs, tmp_path)
    other = load_settings(data_dir=tmp_path / "elsewhere", repair_tries=0)
    there = PackStore(other)
    import_pack(there, zipped.read_bytes(), user="Cy")
    assert key_path(other).read_bytes() != key_path(packs.settings).read_bytes()
    originals = {m.cell: m for m in packs.messages("flu-test")}
    imported = {m.cell: m for m in there.messages("flu-test")}
    assert imported.keys() == originals.keys()
    assert {m.status for m in imported.values()} == {"draft"}
    assert {c: (m.text, m.revision) for c, m in imported.items()} == {
        c: (m.text, m.revision) for c, m in originals.items()
    }
    assert imported[SMS].updated_by == "Cy"
    assert there.remarks("flu-test", SMS) == [] and there.approvers("flu-test", SMS, 1) == []
    events = [e for e in there.events("flu-test") if e.cell == SMS]
    assert [(e.action, e.user) for e in events] == [("import", "Cy")] + [("import_note", "Cy")] * 2
    assert events[0].detail == (
        "from a pack ZIP not signed by this installation, as a draft; the file says: approved, "
        "revision 1 approved by Ann"
    )
    assert events[1].detail.startswith("the pack file says: Ann approve on revision 1 at ")
    assert events[2].detail.startswith("the pack file says: Bo commented on revision 1 at ")
    assert events[2].detail.endswith(": Gut so.")
    assert "not signed by this installation" in there.events("flu-test")[-1].detail
    # Generating after importing an approved-only pack (2 of 12 cells: the letter's edit undid
    # its approval) writes only the other 10.
    approved = export_pack(packs, "flu-test", tmp_path / "a.zip", user="Ann").path
    third = PackStore(load_settings(data_dir=tmp_path / "third", repair_tries=0))
    import_pack(third, approved, user="Cy")
    chat = scripted(10)
    run = generate_pack(
        third, "flu-test", settings=other, chat=chat, knowledge=fake_store, user="Cy",
        ask_model=True,
    )  # fmt: skip
    assert (run.skipped, len(run.generated), len(chat.calls)) == (2, 10, 10) and run.complete


def _signed_pack(packs: PackStore, tmp_path: Path) -> dict[str, bytes]:
    """The files of a draft export of the fixture's pack: three cells approved, nine drafts."""
    return _zip(export_pack(packs, "flu-test", tmp_path / "p.zip", user="Ann", draft=True).path)


def _forge(files: dict[str, bytes], edit: str) -> bytes:
    """The pack's ZIP with one edit of its manifest, the signature left as it was (or forged)."""
    manifest = json.loads(files["manifest.json"])
    entry = next(m for m in manifest["messages"] if m["channel"] == "sms" and m["language"] == "de"
                 and m["audience"] == "health-workers")  # fmt: skip
    if edit == "text":
        entry["status"], entry["approvals"] = "approved", ["Ann"]
        entry["text"] = "Die Grippeimpfung schützt 97 von 100 Menschen. Termine: 0800 123456."
    elif edit == "status":
        entry["status"], entry["approvals"] = "approved", ["Ann"]
        entry["remarks"].append(
            {"user": "Ann", "kind": "approve", "text": "", "revision": 1,
             "created_at": "2026-01-01T00:00:00+00:00"}
        )  # fmt: skip
    else:  # a signature made with a key of the forger's own
        entry["status"], entry["approvals"] = "approved", ["Ann"]
        content = Manifest.model_validate(manifest).content()
        manifest["signature"] = "hmac-sha256:" + hmac.new(b"k" * 32, content, "sha256").hexdigest()
    return _rezip({**files, "manifest.json": json.dumps(manifest).encode()})


@pytest.mark.parametrize("edit", ["text", "status", "signature"])
def test_an_edited_pack_comes_in_as_drafts_with_the_approval_as_a_note(
    packs, tmp_path, edit
) -> None:  # type: ignore[no-untyped-def]
    cell = Cell("health-workers", "sms", "de")
    files = _signed_pack(packs, tmp_path)
    there = _moved(packs, tmp_path / "moved")
    import_pack(there, _forge(files, edit), user="Cy")
    imported = {m.cell: m for m in there.messages("flu-test")}
    assert {m.status for m in imported.values()} == {"draft"}
    assert there.approvers("flu-test", SMS, 1) == [] and there.approvers("flu-test", cell, 1) == []
    notes = [e.detail for e in there.events("flu-test") if e.cell == cell]
    assert notes[0].endswith("the file says: approved, revision 1 approved by Ann")
    numbers = imported[cell].checks.item("numbers_grounded")
    assert numbers.passed is (edit != "text")
    if edit == "text":
        assert imported[cell].text.startswith("Die Grippeimpfung schützt 97 von 100")
        assert "97" in numbers.reason and not imported[cell].checks.ok


def test_bad_files_are_refused_by_name_and_nothing_stored_is_lost(packs, tmp_path) -> None:  # type: ignore[no-untyped-def]
    files = _signed_pack(packs, tmp_path)
    before = (packs.campaigns(), packs.messages("flu-test"), packs.events("flu-test"))
    manifest = json.loads(files["manifest.json"])
    manifest["campaign"]["id"] = "flu-copy"  # new here: the import starts, then finds it bad
    manifest["messages"][-1]["generated"]["citations"] = "none"
    cases = [
        (b"%PDF-1.7 a pack, surely", "not a ZIP file"),
        (_rezip({k: v for k, v in files.items() if k != "manifest.json"}), "no manifest.json"),
        (_rezip({**files, "manifest.json": b'{"format": "clarion-pack",'}), "not valid JSON"),
        (_rezip({**files, "manifest.json": json.dumps(manifest).encode()}),
         "record of .* is not a message this Clarion can check .citations"),
    ]  # fmt: skip
    for data, error in cases:
        with pytest.raises(PackFileError, match=error):
            import_pack(packs, data, user="Cy")
    assert (packs.campaigns(), packs.messages("flu-test"), packs.events("flu-test")) == before


def _pack_bytes(packs: PackStore, tmp_path: Path) -> bytes:
    return export_pack(packs, "flu-test", tmp_path / "p.zip", user="Ann").path.read_bytes()


def _rezip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_a_damaged_zip_is_refused_with_a_clear_message(packs, tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = _pack_bytes(packs, tmp_path)
    with pytest.raises(PackFileError, match="damaged or incomplete"):
        read_manifest(data[: len(data) // 2])
    flipped = bytearray(data)
    start = data.index(b"manifest.json") + 200  # inside the compressed manifest
    flipped[start : start + 40] = bytes(40)
    with pytest.raises(PackFileError, match="damaged"):
        read_manifest(bytes(flipped))
    with pytest.raises(PackFileError, match="damaged or incomplete"):
        read_manifest(b"PK\x03\x04 not really a zip")


def test_a_foreign_or_tampered_zip_is_refused(packs, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PackFileError, match="not a Clarion pack: it has no manifest.json"):
        read_manifest(_rezip({"photo.jpg": b"\xff\xd8"}))
    with pytest.raises(PackFileError, match="manifest.json is of another kind"):
        read_manifest(_rezip({"manifest.json": b'{"name": "some npm package"}'}))
    _pack_bytes(packs, tmp_path)
    files = _zip(tmp_path / "p.zip")
    manifest = json.loads(files["manifest.json"])
    with pytest.raises(PackFileError, match="format version 7"):
        read_manifest(
            _rezip({"manifest.json": json.dumps({**manifest, "format_version": 7}).encode()})
        )
    stray = json.loads(files["manifest.json"])
    stray["messages"][0]["audience"] = "pregnant"
    elsewhere = PackStore(load_settings(data_dir=tmp_path / "elsewhere"))
    with pytest.raises(PackFileError, match="outside its campaign's grid: de__pregnant__sms__v1"):
        import_pack(
            elsewhere, _rezip({**files, "manifest.json": json.dumps(stray).encode()}), user="Cy"
        )
    assert elsewhere.campaigns() == []  # nothing half-imported
    manifest["messages"][0]["status"] = "published"
    with pytest.raises(PackFileError, match="does not follow the pack format .*messages.0.status"):
        read_manifest(_rezip({**files, "manifest.json": json.dumps(manifest).encode()}))
    changed = dict(files)
    changed["sms.csv"] = b"recipient_group,text\nall,send money\n"
    with pytest.raises(PackFileError, match="damaged: sms.csv differs"):
        read_manifest(_rezip(changed))
    del changed["sms.csv"]
    with pytest.raises(PackFileError, match="incomplete: sms.csv is missing"):
        read_manifest(_rezip(changed))


def test_zip_bombs_and_unsafe_names_are_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bomb = _rezip({"manifest.json": b"{}", "zeros.bin": bytes(50 * 2**20)})
    assert len(bomb) < 200_000
    with pytest.raises(PackFileError, match="possible zip bomb"):
        read_manifest(bomb)
    with pytest.raises(PackFileError, match="unsafe file name"):
        read_manifest(_rezip({"../../etc/passwd": b"x", "manifest.json": b"{}"}))
    huge = io.BytesIO()
    with zipfile.ZipFile(huge, "w", zipfile.ZIP_DEFLATED) as archive:
        for n in range(5):
            archive.writestr(f"part{n}.bin", bytes(45 * 2**20))
    with pytest.raises(PackFileError, match="would unpack to 225 MB"):
        read_manifest(huge.getvalue())


def test_the_overview_names_each_cited_source_past_its_review_date(
    packs, fake_store, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from knowledge.history.reviews import set_review_date

    cited = sorted({c["source_id"] for m in packs.messages("flu-test") if m.status == "approved"
                    for c in m.message["citations"]})  # fmt: skip
    for source_id in cited:  # every one past its date, whatever day the test runs
        set_review_date(packs.settings, fake_store, source_id, "2020-01-31", "Ann")
    page = _zip(
        export_pack(packs, "flu-test", tmp_path / "p.zip", user="Ann", knowledge=fake_store).path
    )["index.html"].decode("utf-8")
    assert '<div class="review"><h2>Quellen nach ihrem Prüfdatum</h2>' in page
    assert page.count("(Prüfdatum 2020-01-31 überschritten)") == len(cited) > 0
    assert "STIKO-Empfehlung vom " in page
    plain = _zip(export_pack(packs, "flu-test", tmp_path / "q.zip", user="Ann").path)
    assert "Prüfdatum" not in plain["index.html"].decode("utf-8")


def test_the_installation_key_is_made_once_and_readable_by_its_owner_only(settings) -> None:  # type: ignore[no-untyped-def]
    first = sign(settings, b"manifest")
    path = key_path(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sign(settings, b"manifest") == first and signed_here(settings, b"manifest", first)
    assert not signed_here(settings, b"manifest!", first)
    assert not signed_here(settings, b"manifest", first.removeprefix("hmac-sha256:"))
    path.chmod(0o644)
    with pytest.raises(ConfigError, match="can be read by other users.*chmod 600"):
        sign(settings, b"manifest")
    path.chmod(0o600)
    path.write_text("not a key\n")
    with pytest.raises(ConfigError, match="is not a Clarion installation key"):
        sign(settings, b"manifest")
