"""Staff see a refused version sentence by sentence: each refused sentence highlighted in place
with its number, then listed with its reason in the interface language (ui.widgets.refused_text),
on the write page and in pack cells. The model's text is data: never rendered as markup."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from comms.checks.texts import check_name
from comms.message import Message, RejectedVersion
from comms.packs.campaign import Cell
from comms.report import LintItem, LintReport, SentenceVerdict
from core.settings import Settings
from knowledge.retrieval.store import Store
from tests.conftest import ROOT, ScriptedChat
from tests.pack_helpers import generated, pack_settings
from ui import resources
from ui.widgets import literal, refused_parts

BACKED = "Die RSV-Impfung schützt Sie im Winter."
NO_DOCTOR = "Auch bei hohem Fieber müssen Sie nicht zum Arzt."
MARKUP = "Sie muss **alle 12 Monate** wiederholt werden <script>alert(1)</script>."
CALL = "Rufen Sie uns an :material/call: [hier](https://example.org) &lt;b&gt;."
TEXT = f"{BACKED} {NO_DOCTOR} {MARKUP}\n{CALL}"

NOT_BACKED = {
    "de": "Nicht durch die Botschaftskarte oder eine zitierte Stelle belegt.",
    "en": "Not backed by the map or a cited passage",
}
NUMBER = {
    "de": "Die Zahl 12 Monate passt nicht zur freigegebenen Aussage.",
    "en": "Its number 12 Monate does not match the approved statement",
}


def verdict(
    sentence: str, rule: str, reason: str, text: str = TEXT, **args: str
) -> SentenceVerdict:
    """The verdict of the check `supported` on one sentence of text, at its true offsets."""
    start = text.index(sentence)
    return SentenceVerdict(
        start=start, end=start + len(sentence), text=sentence, check="supported", rule=rule,
        reason=reason, reason_key=rule, reason_args=args,
    )  # fmt: skip


VERDICTS = [
    verdict(NO_DOCTOR, "supported.unbacked", NOT_BACKED["en"]),
    verdict(MARKUP, "supported.number", NUMBER["en"], number="12 Monate"),
]


def supported_item(verdicts: list[SentenceVerdict]) -> LintItem:
    return LintItem(
        id="supported", passed=False, severity="error", points=0, max_points=10,
        reason=f"{len(verdicts)} sentence(s) not backed by an approved statement",
        reason_key="", sentences=tuple(verdicts),
    )  # fmt: skip


def widget(verdicts: list[SentenceVerdict], ui_language: str, lang: str = "de") -> AppTest:
    """A page that shows only refused_text(TEXT, verdicts, lang), in this interface language."""

    def script(text: str, found: "list[dict[str, Any]]", lang: str) -> None:  # noqa: UP037
        from comms.report import SentenceVerdict
        from ui.widgets import refused_text

        refused_text(text, [SentenceVerdict.model_validate(v) for v in found], lang)

    dumped = [v.model_dump() for v in verdicts]
    at = AppTest.from_function(script, args=(TEXT, dumped, lang), default_timeout=30)
    at.session_state["ui_language"] = ui_language
    at.run()
    assert not at.exception, at.exception
    return at


def markdown(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown]


@pytest.mark.parametrize("ui_language", ["de", "en"])
def test_each_refused_sentence_is_highlighted_in_place_and_listed_with_its_reason(
    ui_language: str,
) -> None:
    at = widget(VERDICTS, ui_language)
    shown, heading, first, second = markdown(at)
    assert shown.startswith("Die RSV\\-Impfung schützt Sie im Winter\\. :red-background[Auch ")
    marked = ":red-background[Auch bei hohem Fieber müssen Sie nicht zum Arzt\\.]"
    assert f"{marked} :red[**\\[1\\]**]" in shown
    assert ":red[**\\[2\\]**]  \nRufen Sie uns an" in shown, "the line break is kept"
    assert BACKED.replace("-", "\\-").replace(".", "\\.") + " :red-background" in shown
    count = {"de": "Abgelehnte Sätze (2)", "en": "Refused sentences (2)"}[ui_language]
    assert heading.startswith(f"**{count}")
    assert first.startswith(":red[**\\[1\\]**] :red-background[Auch bei hohem Fieber")
    name = literal(check_name("supported", ui_language))  # its name, once the catalogue has one
    assert first.endswith(f"❌ **{name}** · {NOT_BACKED[ui_language]}".replace(".", "\\."))
    assert second.startswith(":red[**\\[2\\]**] :red-background[Sie muss")
    assert NUMBER[ui_language].replace(".", "\\.") in second


def test_markdown_and_html_in_the_model_text_are_shown_as_typed() -> None:
    at = widget(VERDICTS, "de")
    for value in markdown(at):
        assert "<script>" not in value and "</script>" not in value
        assert "**alle" not in value and "](https" not in value
    shown = markdown(at)[0]
    script = "\\<script\\>alert\\(1\\)\\<\\/script\\>"
    assert f"\\*\\*alle 12 Monate\\*\\* wiederholt werden {script}" in shown
    # plain() would leave ":material/call:" (an icon), "&lt;" (decoded) and the bare address
    # (a link): every ASCII punctuation character is escaped, a word joiner breaks the link
    call = "\\:material\\/call\\: \\[hier\\]\\(https\u2060\\:\\/\\/example\\.org\\) \\&lt\\;b"
    assert call in shown


def test_a_reason_without_a_german_template_falls_back_to_english() -> None:
    doctor = SentenceVerdict(
        start=TEXT.index(NO_DOCTOR), end=TEXT.index(NO_DOCTOR) + len(NO_DOCTOR), text=NO_DOCTOR,
        check="never_say", rule="never_say.no_doctor", reason="Says there is no need to see a doctor",
    )  # fmt: skip
    at = widget([doctor], "de")
    assert markdown(at)[-1].endswith("· Says there is no need to see a doctor")


def test_right_to_left_text_is_escaped_html_with_marks() -> None:
    at = widget(VERDICTS, "de", lang="ar")
    (shown,) = [e.proto.body for e in at.get("html")]  # type: ignore[attr-defined]
    assert shown.startswith('<div dir="rtl"')
    assert "<mark" in shown and "<sup" in shown
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown and "<script>" not in shown


def test_overlapping_moved_and_lost_sentences() -> None:
    moved = SentenceVerdict(
        start=0, end=5, text=NO_DOCTOR, check="language", rule="language.sentence", reason="x"
    )  # offsets from another text: found by its words
    lost = SentenceVerdict(
        start=0, end=3, text="Nicht mehr da.", check="supported", rule="supported.unbacked",
        reason="y",
    )  # fmt: skip
    parts = refused_parts(TEXT, [lost, VERDICTS[1], moved, VERDICTS[0]])
    assert [(p.text, len(p.verdicts)) for p in parts] == [
        (NO_DOCTOR, 2),  # two checks, one sentence: one mark, both reasons
        (MARKUP, 1),
        ("Nicht mehr da.", 1),  # listed, not marked
    ]
    assert parts[0].start == TEXT.index(NO_DOCTOR) and parts[-1].start == -1
    spaced = verdict(NO_DOCTOR, "supported.unbacked", "z")
    padded = replace_offsets(spaced, spaced.start - 1, spaced.end)  # the space before it
    assert refused_parts(TEXT, [padded])[0].start == TEXT.index(NO_DOCTOR)
    overlap = replace_offsets(spaced, spaced.start + 5, spaced.end + 10)
    merged = refused_parts(TEXT, [spaced, overlap.model_copy(update={"text": ""})])
    assert len(merged) == 1 and merged[0].text == f"{NO_DOCTOR} Sie muss"  # ends on a character


def replace_offsets(found: SentenceVerdict, start: int, end: int) -> SentenceVerdict:
    return found.model_copy(update={"start": start, "end": end, "text": TEXT[start:end]})


# The write page: the model's version refused, with sentence verdicts ----------------------


def refused_message(message: Message) -> Message:
    """The message with a refused model version of TEXT: `supported` refused two sentences,
    and one check without sentences failed too."""
    words = LintItem(
        id="real_words", passed=False, severity="error", points=0, max_points=10,
        reason="Only 20 % of 40 words are real words", reason_key="",
    )  # fmt: skip
    checks = LintReport(items=(words, supported_item(VERDICTS)), score=20)
    reasons = [{"item": i.id, "reason": i.reason} for i in checks.items]
    return message.model_copy(update={
        "model_text": TEXT, "model_checks": checks,
        "rejected_model_version": RejectedVersion(text=TEXT, reasons=reasons),
    })  # fmt: skip


def test_the_write_page_shows_the_refused_version_sentence_by_sentence(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, fake_store: Store
) -> None:
    from tests.test_write_page import NONSENSE, page, write

    at = write(
        page(monkeypatch, settings, fake_store, ScriptedChat([NONSENSE]), ask_model="always")
    )
    at.session_state["write_message"] = refused_message(at.session_state["write_message"])
    at.run()
    assert not at.exception, at.exception
    assert "Fassung des Modells – nicht verwendet" in [s.value for s in at.subheader]
    shown = markdown(at)
    assert "❌ **Echte Wörter** · Only 20 % of 40 words are real words" in shown
    assert not any("not backed by an approved statement" in m for m in shown), "listed by sentence"
    assert any(m.startswith("Die RSV\\-Impfung") and ":red-background[Auch" in m for m in shown)
    assert any(NOT_BACKED["de"].replace(".", "\\.") in m for m in shown)
    assert any(NUMBER["de"].replace(".", "\\.") in m for m in shown)
    assert not any("<script>" in m or "**alle" in m for m in shown)
    assert len([m for m in shown if "Rufen Sie uns an" in m]) == 1, "the text once, marked"
    at.session_state["ui_language"] = "en"  # the sidebar's language switch
    at.run()
    assert not at.exception, at.exception
    assert "The model's version – not used" in [s.value for s in at.subheader]
    shown = markdown(at)
    assert any(m.endswith(f"· {NOT_BACKED['en']}") for m in shown)
    assert any(m.endswith(f"· {NUMBER['en']}") for m in shown)
    assert any(m.startswith("**Refused sentences (2)") for m in shown)


def test_a_refused_version_without_sentences_keeps_its_reason_list_and_plain_text(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, fake_store: Store
) -> None:
    from tests.test_write_page import NONSENSE, page, write

    at = write(
        page(monkeypatch, settings, fake_store, ScriptedChat([NONSENSE]), ask_model="always")
    )
    message = at.session_state["write_message"]
    items = tuple(i.model_copy(update={"sentences": ()}) for i in message.model_checks.items)
    checks = message.model_checks.model_copy(update={"items": items})
    at.session_state["write_message"] = message.model_copy(update={"model_checks": checks})
    at.run()
    shown = markdown(at)
    failed = [m for m in shown if m.startswith("❌")]
    assert len(failed) == len(message.rejected_model_version.reasons)
    assert not any(":red-background" in m for m in shown)
    assert not any(m.startswith("**Abgelehnte Sätze") for m in shown)
    assert "Blorf snarg wibble quux zonk plimf\\. Frabble dorn wex\\." in shown


# A pack cell whose model version was refused ------------------------------------------------

CELL = Cell("older-adults", "sms", "de")


@pytest.fixture
def pack_page(
    settings: Settings, fake_store: Store, monkeypatch: pytest.MonkeyPatch
) -> Iterator[AppTest]:
    """The Packs page over a generated pack whose first cell holds a refused model version."""
    resources.settings.clear()  # read this test's CLARION_DATA_DIR
    packs, _ = generated(pack_settings(settings), fake_store)
    with packs.transaction() as tx:
        stored = tx.message("flu-test", CELL)
        assert stored is not None
        message = refused_message(Message.model_validate(stored.message))
        tx.update_message(replace(stored, message=message.model_dump(mode="json")))
    monkeypatch.setattr(resources, "store", lambda: fake_store)
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/packs.py").run()
    assert not at.exception, at.exception
    yield at
    resources.settings.clear()


def test_a_pack_cell_shows_its_refused_model_version_sentence_by_sentence(
    pack_page: AppTest,
) -> None:
    pack_page.button(key=f"pk_cell:{CELL.key}").click().run()
    assert not pack_page.exception, pack_page.exception
    (expander,) = [
        e for e in pack_page.expander if e.label == "Fassung des Modells – nicht verwendet"
    ]
    inside = [m.value for m in expander.markdown]
    assert inside[0] == "**Nicht verwendet, weil:**"
    assert "❌ **Echte Wörter** · Only 20 % of 40 words are real words" in inside
    assert any(":red-background[Auch bei hohem Fieber" in m for m in inside)
    assert any(NOT_BACKED["de"].replace(".", "\\.") in m for m in inside)
    assert not any("<script>" in m or "**alle" in m for m in inside)
    pack_page.session_state["ui_language"] = "en"
    pack_page.run()
    (expander,) = [e for e in pack_page.expander if e.label == "The model's version – not used"]
    assert any(m.value.endswith(f"· {NUMBER['en']}") for m in expander.markdown)
