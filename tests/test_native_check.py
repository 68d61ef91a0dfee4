"""Translations no native speaker has checked (issue 30): the languages a reviewer reads, a
native check of one pack message and of a map language, and the export that keeps unchecked
translations from passing as approved."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest
from docx import Document

from comms.accounts.auth import (
    Identity,
    NotANativeReader,
    add_user,
    authenticate,
    load_users,
    set_languages,
)
from comms.drafting.draft import Request
from comms.drafting.write import compose_message
from comms.maps.library import load_map
from comms.maps.native import pending_languages, propose_native_check, without_pending
from comms.maps.store import MapChangeError, MapStore
from comms.packs.archive import export_pack, read_manifest
from comms.packs.campaign import Cell
from comms.packs.native import checked_by, mark_native_checked, unchecked
from comms.packs.review import approve, edit_text
from comms.packs.store import PackStore
from core.errors import InputError
from core.settings import Settings
from tests.pack_helpers import generated, pack_settings, small_campaign

TR = Cell("older-adults", "sms", "tr")
AR = Cell("older-adults", "sms", "ar")
DE = Cell("older-adults", "sms", "de")
TURKISH_READER = Identity("Ayse", "reviewer", frozenset({"tr"}))
GERMAN_READER = Identity("Bernd", "reviewer", frozenset({"de"}))
PASSWORD = "ein-gutes-Passwort"


@pytest.fixture
def packs(settings: Settings, fake_store) -> PackStore:  # type: ignore[no-untyped-def]
    campaign = small_campaign(audiences=["older-adults"], channels=["sms"],
                              languages=["de", "tr", "ar"])  # fmt: skip
    packs, _ = generated(pack_settings(settings), fake_store, campaign)
    return packs


# The profile: which languages a person reads


def test_a_user_records_the_languages_they_read_and_signs_in_with_them(
    settings: Settings,
) -> None:
    add_user(settings, "ayse", "reviewer", PASSWORD)
    assert set_languages(settings, "ayse", ["TR", " ar", "tr"]) == ["tr", "ar"]
    who = authenticate(load_users(settings), "ayse", PASSWORD)
    assert who is not None and who.reads == {"tr", "ar"}
    assert who.reads_language("ar") and not who.reads_language("uk")


def test_an_unknown_language_is_refused_and_the_profile_stays(settings: Settings) -> None:
    add_user(settings, "ayse", "reviewer", PASSWORD)
    set_languages(settings, "ayse", ["tr"])
    before = load_users(settings)
    with pytest.raises(InputError, match="Unknown language xx"):
        set_languages(settings, "ayse", ["tr", "xx"])
    with pytest.raises(InputError, match="No user 'nobody'"):
        set_languages(settings, "nobody", ["tr"])
    assert load_users(settings) == before


# Item 1: the advice is there, and survives an edit


def test_a_turkish_and_an_arabic_cell_carry_the_advice_a_german_one_does_not(packs) -> None:  # type: ignore[no-untyped-def]
    assert unchecked(packs.message("flu-test", TR))
    assert unchecked(packs.message("flu-test", AR))
    assert not unchecked(packs.message("flu-test", DE))


def test_an_edited_translation_still_carries_the_advice(packs) -> None:  # type: ignore[no-untyped-def]
    text = "Grip aşısı sizi kışın korur. Randevu: https://impfen.example.org"
    edited = edit_text(packs, "flu-test", TR, text, user="Ann", revision=1)
    assert unchecked(edited)


# Item 2: a native check of one message


def test_a_reader_of_turkish_marks_the_message_checked_with_name_and_date(packs) -> None:  # type: ignore[no-untyped-def]
    marked = mark_native_checked(packs, "flu-test", TR, reader=TURKISH_READER, revision=1)
    assert not unchecked(marked) and checked_by(marked) == "Ayse"
    item = marked.checks.item("needs_native_reader")
    assert item.passed and item.max_points == 0 and item.reason_args["language"] == "tr"
    assert packs.message("flu-test", TR) == marked
    assert (marked.revision, marked.text) == (1, packs.message("flu-test", TR).text)
    event = packs.events("flu-test")[-1]
    assert (event.action, event.user, event.cell) == ("native_check", "Ayse", TR)
    assert event.detail.startswith("checked by a native speaker of tr: Ayse, ")
    assert event.at[:10] in event.detail
    assert unchecked(packs.message("flu-test", AR))  # the Arabic one is untouched


def test_a_reviewer_who_does_not_read_the_language_is_refused_and_nothing_changes(packs) -> None:  # type: ignore[no-untyped-def]
    before, events = packs.message("flu-test", AR), packs.events("flu-test")
    with pytest.raises(NotANativeReader, match="Ayse does not read 'ar'.*tr"):
        mark_native_checked(packs, "flu-test", AR, reader=TURKISH_READER, revision=1)
    editor = Identity("Eda", "editor", frozenset({"ar"}))
    with pytest.raises(NotANativeReader, match="only a reviewer or admin"):
        mark_native_checked(packs, "flu-test", AR, reader=editor, revision=1)
    assert packs.message("flu-test", AR) == before and packs.events("flu-test") == events


def test_a_message_already_checked_or_never_pending_has_nothing_to_check(packs) -> None:  # type: ignore[no-untyped-def]
    mark_native_checked(packs, "flu-test", TR, reader=TURKISH_READER, revision=1)
    with pytest.raises(InputError, match="Ayse checked it already"):
        mark_native_checked(packs, "flu-test", TR, reader=TURKISH_READER, revision=1)
    with pytest.raises(InputError, match="no unchecked translation"):
        mark_native_checked(packs, "flu-test", DE, reader=GERMAN_READER, revision=1)


def test_an_edit_after_the_check_brings_the_advice_back(packs) -> None:  # type: ignore[no-untyped-def]
    mark_native_checked(packs, "flu-test", TR, reader=TURKISH_READER, revision=1)
    text = "Grip aşısı sizi kışın korur. Randevu: https://impfen.example.org"
    assert unchecked(edit_text(packs, "flu-test", TR, text, user="Ann", revision=1))


# Item 3: the export


def _approve_all(packs: PackStore) -> None:
    for cell in (DE, TR, AR):
        approve(packs, "flu-test", cell, user="Ann", revision=1)


def test_an_export_leaves_unchecked_translations_out_and_says_which(packs, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _approve_all(packs)
    mark_native_checked(packs, "flu-test", TR, reader=TURKISH_READER, revision=1)
    result = export_pack(packs, "flu-test", tmp_path / "p.zip", user="Ann")
    assert result.withheld == (AR,) and result.messages == 2
    manifest = read_manifest(result.path)
    assert [m.language for m in manifest.messages] == ["de", "tr"]
    assert manifest.unchecked_translations == []
    assert not manifest.campaign.accept_unchecked_translations


def test_a_strict_export_names_the_unchecked_cells_and_writes_nothing(packs, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _approve_all(packs)
    out = tmp_path / "p.zip"
    with pytest.raises(InputError) as refused:
        export_pack(packs, "flu-test", out, user="Ann", strict=True)
    assert TR.key in str(refused.value) and AR.key in str(refused.value)
    assert DE.key not in str(refused.value)
    assert not out.exists()


def test_a_campaign_that_accepts_unchecked_translations_exports_them_marked(
    settings: Settings,
    fake_store,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    campaign = small_campaign(audiences=["older-adults"], channels=["sms"],
                              languages=["de", "tr", "ar"], accept_unchecked_translations=True)  # fmt: skip
    packs, _ = generated(pack_settings(settings), fake_store, campaign)
    _approve_all(packs)
    result = export_pack(packs, "flu-test", tmp_path / "p.zip", user="Ann", strict=True)
    assert result.withheld == () and result.messages == 3
    manifest = read_manifest(result.path)
    assert manifest.campaign.accept_unchecked_translations
    assert manifest.unchecked_translations == [TR.key, AR.key]
    with zipfile.ZipFile(result.path) as archive:
        turkish = archive.read(f"messages/tr/{TR.audience}__sms__v1.md").decode("utf-8")
        german = archive.read(f"messages/de/{DE.audience}__sms__v1.md").decode("utf-8")
        data = json.loads(archive.read("manifest.json"))
        overview = archive.read("index.html").decode("utf-8")
        sms = list(csv.DictReader(io.StringIO(archive.read("sms.csv").decode("utf-8"))))
        word = {cell.language: Document(io.BytesIO(archive.read(
            f"messages/{cell.language}/{cell.audience}__sms__v1.docx"))) for cell in (DE, TR)}  # fmt: skip
    assert {r["language"]: r["native_check"] for r in sms} == {"de": "", "tr": "pending",
                                                               "ar": "pending"}  # fmt: skip
    header = word["tr"].sections[0].header.paragraphs[0].text
    assert "Muttersprache" in header or "native speaker" in header
    assert "Muttersprache" in word["tr"].core_properties.comments or \
        "native speaker" in word["tr"].core_properties.comments  # fmt: skip
    assert word["de"].sections[0].header.paragraphs[0].text == ""
    assert "not yet checked by a native speaker" in turkish or "Muttersprache" in turkish
    assert "Muttersprache" not in german and "native speaker" not in german
    assert data["campaign"]["accept_unchecked_translations"] is True
    assert overview.count('<div class="unchecked">') == 2  # the Turkish and the Arabic card


def test_only_unchecked_translations_approved_refuses_the_export(packs, tmp_path) -> None:  # type: ignore[no-untyped-def]
    for cell in (TR, AR):
        approve(packs, "flu-test", cell, user="Ann", revision=1)
    with pytest.raises(InputError, match="Every approved message .* no native"):
        export_pack(packs, "flu-test", tmp_path / "p.zip", user="Ann")


# Item 2: a map language checked


MAP_TEXT = "id: x\nnative_review_pending: [tr, ar, uk, ru]  # until checked\nrest: 1\n"


def test_leaving_a_language_out_keeps_every_other_byte() -> None:
    changed = without_pending(MAP_TEXT, "ar")
    assert changed == "id: x\nnative_review_pending: [tr, uk, ru]  # until checked\nrest: 1\n"
    assert pending_languages(without_pending(changed, "tr")) == ["uk", "ru"]


def test_a_map_language_checked_leaves_the_list_with_the_next_approved_version(
    settings: Settings,
) -> None:
    maps = MapStore(settings)
    proposal = propose_native_check(maps, "measles", "tr", reader=TURKISH_READER)
    assert proposal.status == "proposed" and proposal.action == "native_check"
    assert proposal.author == "Ayse" and proposal.comment.startswith(
        "checked by a native speaker of tr: Ayse, "
    )
    assert pending_languages(proposal.text) == ["ar", "uk", "ru"]
    assert "tr" in load_map("measles", settings).map.native_review_pending  # not yet approved
    maps.approve("measles", approver="Admin Zwei", number=proposal.number)
    assert load_map("measles", settings).map.native_review_pending == ("ar", "uk", "ru")
    request = Request("measles", "parents-infants", "sms", "tr")
    turkish = compose_message(request, settings=settings, store=None).message.checks
    assert "needs_native_reader" not in [i.id for i in turkish.items]
    request = Request("measles", "parents-infants", "sms", "ar")
    arabic = compose_message(request, settings=settings, store=None).message.checks
    assert not arabic.item("needs_native_reader").passed


def test_a_map_check_by_someone_who_does_not_read_it_is_refused(settings: Settings) -> None:
    maps = MapStore(settings)
    with pytest.raises(NotANativeReader, match="does not read 'ar'"):
        propose_native_check(maps, "measles", "ar", reader=TURKISH_READER)
    assert maps.pending("measles") is None
    propose_native_check(maps, "measles", "tr", reader=TURKISH_READER)
    with pytest.raises(MapChangeError, match="does not list 'tr'"):
        propose_native_check(maps, "measles", "tr", reader=TURKISH_READER)


# The same from a shell


def test_the_cli_records_languages_and_a_native_check(packs, capsys) -> None:  # type: ignore[no-untyped-def]
    from comms.cli.main import main

    add_user(packs.settings, "ayse", "reviewer", None)
    assert main(["users", "languages", "ayse", "tr"]) == 0
    assert main(["users", "list"]) == 0
    assert "ayse\treviewer\toidc\treads: tr" in capsys.readouterr().out
    refused = ["native-check", "--campaign", "flu-test", "--cell", AR.key, "--user", "ayse"]
    assert main(refused) == 2
    assert "does not read 'ar'" in capsys.readouterr().err
    assert unchecked(packs.message("flu-test", AR))
    assert (
        main(["native-check", "--campaign", "flu-test", "--cell", "tr-sms", "--user", "ayse"]) == 2
    )
    assert "is not a cell key" in capsys.readouterr().err
    done = ["native-check", "--campaign", "flu-test", "--cell", TR.key, "--user", "ayse"]
    assert main(done) == 0
    assert checked_by(packs.message("flu-test", TR)) == "ayse"
    assert main(["maps", "native-check", "measles", "tr", "--user", "ayse"]) == 0
    assert "version 1 proposed by ayse" in capsys.readouterr().out
    assert main(["maps", "native-check", "measles", "tr", "--user", "nobody"]) == 2
    assert "No user 'nobody'" in capsys.readouterr().err


def test_the_grid_records_every_language_checked_and_the_advice_goes(settings: Settings) -> None:
    from bench.engine_grid import carries_advice, check_natively

    request = Request("measles", "older-adults", "letter", "uk")
    before = compose_message(request, settings=settings, store=None).message.checks
    assert carries_advice(before)
    check_natively(settings, ["measles"])
    assert load_map("measles", settings).map.native_review_pending == ()
    assert [v.action for v in MapStore(settings).history("measles")[:4]] == ["native_check"] * 4
    after = compose_message(request, settings=settings, store=None).message.checks
    assert not carries_advice(after)
