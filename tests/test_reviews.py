"""Review dates: front matter, a date set over it, overdue sources, their notices, the CLI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from pydantic import ValidationError
from streamlit.testing.v1 import AppTest

import knowledge.__main__ as knowledge_cli
from core import clock
from core.errors import InputError
from core.settings import Settings, load_settings
from knowledge.history.reviews import Overdue, overdue, review_dates, set_review_date, short_org
from knowledge.ingest import corpus_chunks, ingest_paths
from knowledge.retrieval.store import Store
from knowledge.sources.corpus import SourceMeta, read_corpus
from knowledge.sources.documents import read_file
from tests.conftest import ROOT, FakeEmbedder

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

TODAY = dt.date(2026, 12, 2)
RSV = "rec-rsv-older-adults-stiko-de"  # STIKO, 2024-08-08, review by 2025-01-31
PRINCIPLE = "principle-fact-sandwich-en"  # review by 2027-11-30
PASSWORD = "Impfen-2025!"
MMR = "vaccine-measles-mmr-safety-cdc-en"  # CDC/ACIP, 2013-06-14, review by 2014-06-14


@pytest.mark.parametrize(
    ("name", "text", "review_by"),
    [
        ("a.md", "---\nreview_by: 2027-03-31\n---\n# Aushang\n\nText.", "2027-03-31"),
        ("a.md", "---\ntitle: x\nreview_by: '2027-03-31'\n---\n# A\n\nText.", "2027-03-31"),
        ("a.markdown", "---\nreview_by: 2027-03-31\n---\n# A\n\nText.", "2027-03-31"),
        ("a.md", "---\ntitle: x\n---\n# A\n\nText.", None),
        ("a.md", "# A\n\nNo front matter.", None),
        ("a.md", "---\n\n# A rule first, then text.", None),  # a rule, not front matter
        ("a.txt", "---\nreview_by: 2027-03-31\n---\nText.", None),  # only Markdown has one
    ],
)
def test_a_markdown_files_front_matter_gives_its_review_date(
    tmp_path: Path, name: str, text: str, review_by: str | None
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    assert read_file(path).review_by == review_by


@pytest.mark.parametrize("value", ["2027-02-30", "next year", "31.03.2027"])
def test_an_invalid_review_date_in_front_matter_is_refused(tmp_path: Path, value: str) -> None:
    path = tmp_path / "a.md"
    path.write_text(f"---\nreview_by: '{value}'\n---\n# A\n\nText.", encoding="utf-8")
    with pytest.raises(InputError, match="a.md: review_by in the front matter"):
        read_file(path)


def test_every_shipped_document_has_a_review_date_after_its_own_kept_in_its_chunks() -> None:
    docs = read_corpus()
    assert len(docs) == 58
    for doc in docs:
        assert doc.meta.review_by is not None, doc.meta.id
        assert doc.meta.date <= doc.meta.review_by, doc.meta.id
        chunks = corpus_chunks(doc)
        assert {c.metadata["review_by"] for c in chunks} == {doc.meta.review_by.isoformat()}
    overdue_now = {d.meta.id for d in docs if d.meta.review_by and d.meta.review_by < TODAY}
    assert RSV in overdue_now and PRINCIPLE not in overdue_now


def test_a_review_date_before_the_documents_own_is_refused() -> None:
    meta = read_corpus()[0].meta.model_dump()
    with pytest.raises(ValidationError, match="before the document's date"):
        SourceMeta.model_validate(meta | {"review_by": meta["date"] - dt.timedelta(days=1)})


def test_a_date_set_here_counts_over_the_front_matter_until_cleared(
    settings: Settings, fake_store: Store
) -> None:
    assert review_dates(settings, fake_store)[RSV].review_by == dt.date(2025, 1, 31)
    review = set_review_date(settings, fake_store, RSV, "2027-01-31", "  Anna  Berg ")
    assert (review.review_by, review.own, review.set_by) == (
        dt.date(2027, 1, 31),
        dt.date(2025, 1, 31),
        "Anna Berg",
    )
    listed = review_dates(settings, fake_store)
    assert listed[RSV] == review and len(listed) == 58
    assert listed[PRINCIPLE].review_by == dt.date(2027, 11, 30) and not listed[PRINCIPLE].set_by
    cleared = set_review_date(settings, fake_store, RSV, None, "Anna Berg")
    assert (cleared.review_by, cleared.set_by) == (dt.date(2025, 1, 31), "")
    assert review_dates(settings, fake_store)[RSV] == cleared


@pytest.mark.parametrize(
    ("source_id", "date", "user", "error"),
    [
        ("no-such-source", "2027-01-31", "Anna", "No source 'no-such-source'"),
        (RSV, "2027-02-30", "Anna", "'2027-02-30' is not a date"),
        (RSV, "soon", "Anna", "'soon' is not a date"),
        (RSV, "2027-01-31", "  ", "Give a name"),
    ],
)
def test_setting_a_review_date_refuses_what_cannot_be_right(
    settings: Settings, fake_store: Store, source_id: str, date: str, user: str, error: str
) -> None:
    with pytest.raises(InputError, match=error):
        set_review_date(settings, fake_store, source_id, date, user)
    assert review_dates(settings, fake_store)[RSV].set_by == ""


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (dt.date(2025, 1, 31), []),  # on the review date itself it is not yet overdue
        (dt.date(2025, 2, 1), [RSV]),
        (TODAY, [RSV, "rec-flu-stiko-de"]),
        (dt.date(2027, 12, 1), [RSV, "rec-flu-stiko-de", PRINCIPLE]),
    ],
)
def test_overdue_is_computed_against_the_given_day(
    settings: Settings, fake_store: Store, today: dt.date, expected: list[str]
) -> None:
    cited = [PRINCIPLE, RSV, "no-such-source", "rec-flu-stiko-de", RSV]
    assert list(overdue(settings, fake_store, cited, today)) == [
        s for s in cited[:4] if s in expected
    ]


def test_overdue_names_the_source_and_a_date_set_here_lifts_it(
    settings: Settings, fake_store: Store
) -> None:
    found = overdue(settings, fake_store, [RSV], TODAY)[RSV]
    assert found.model_dump() == {
        "source_id": RSV,
        "title": "RSV bei älteren Menschen: Impfempfehlung der STIKO",
        "org": "Robert Koch-Institut, STIKO",
        "kind": "recommendation",
        "date": "2024-08-08",
        "review_by": dt.date(2025, 1, 31),
    }
    set_review_date(settings, fake_store, RSV, dt.date(2027, 1, 31), "Anna")
    assert overdue(settings, fake_store, [RSV], TODAY) == {}
    set_review_date(settings, fake_store, PRINCIPLE, "2026-12-01", "Anna")
    assert list(overdue(settings, fake_store, [RSV, PRINCIPLE], TODAY)) == [PRINCIPLE]


def test_an_uploaded_files_review_date_and_a_shipped_source_the_store_lacks(
    settings: Settings, tmp_path: Path
) -> None:
    store = Store(settings, FakeEmbedder())  # nothing indexed: cited sources come from files
    path = tmp_path / "aushang.md"
    path.write_text("---\nreview_by: 2026-06-30\n---\n# Aushang\n\nGrippeimpfung im Amt.\n")
    ingest_paths(store, [path])
    found = overdue(settings, store, ["file-aushang.md", RSV, PRINCIPLE], TODAY)
    assert [(o.source_id, o.review_by.isoformat()) for o in found.values()] == [
        ("file-aushang.md", "2026-06-30"),
        (RSV, "2025-01-31"),
    ]
    assert found["file-aushang.md"].notice("en").startswith("“Aushang” of ")


@pytest.mark.parametrize(
    ("org", "kind", "language", "notice"),
    [
        (
            "Robert Koch-Institut, STIKO",
            "recommendation",
            "de",
            "STIKO-Empfehlung vom 2024-08: bitte prüfen, ob es eine neuere Fassung gibt "
            "(Prüfdatum 2025-01-31 überschritten)",
        ),
        (
            "Robert Koch-Institut, STIKO",
            "recommendation",
            "en",
            "STIKO recommendation of 2024-08: check for a newer one (review date 2025-01-31 passed)",
        ),
        (
            "World Health Organization (WHO)",
            "recommendation",
            "en",
            "WHO recommendation of 2024-08: check for a newer one (review date 2025-01-31 passed)",
        ),
        (
            "Robert Koch-Institut",
            "vaccine-fact",
            "de",
            "„Titel“ vom 2024-08: bitte prüfen, ob es eine neuere Fassung gibt "
            "(Prüfdatum 2025-01-31 überschritten)",
        ),
        (
            "",
            "document",
            "tr",  # a message language without its own notice: English
            "“Titel” of 2024-08: check for a newer one (review date 2025-01-31 passed)",
        ),
    ],
)
def test_notice_texts(org: str, kind: str, language: str, notice: str) -> None:
    item = Overdue(source_id="x", title="Titel", org=org, kind=kind, date="2024-08-08",
                   review_by=dt.date(2025, 1, 31))  # fmt: skip
    assert item.notice(language) == notice


@pytest.mark.parametrize(
    ("org", "short"),
    [
        ("Robert Koch-Institut, STIKO", "STIKO"),
        ("Centers for Disease Control and Prevention (CDC), ACIP", "ACIP"),
        ("World Health Organization (WHO)", "WHO"),
        ("Bundesgesetzblatt, Bundesministerium für Gesundheit", ""),
        ("Robert Koch-Institut", ""),
        ("", ""),
    ],
)
def test_short_org(org: str, short: str) -> None:
    assert short_org(org) == short


def test_the_cli_sets_clears_and_lists_review_dates(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], fake_store: Store
) -> None:
    monkeypatch.setattr(knowledge_cli, "open_store", lambda settings: fake_store)
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    assert knowledge_cli.main(["review", RSV, "2027-01-31", "--user", "Anna"]) == 0
    assert capsys.readouterr().out == f"Review date of {RSV}: 2027-01-31 (set by Anna).\n"
    assert knowledge_cli.main(["list", "--json"]) == 0
    rows = {row["source_id"]: row for row in json.loads(capsys.readouterr().out)}
    assert (rows[RSV]["review_by"], rows[RSV]["overdue"]) == ("2027-01-31", False)
    assert (rows["rec-flu-stiko-de"]["review_by"], rows["rec-flu-stiko-de"]["overdue"]) == (
        "2025-09-30",
        True,
    )
    assert knowledge_cli.main(["review", RSV, "--clear"]) == 0
    assert capsys.readouterr().out == f"Review date of {RSV}: 2025-01-31 (from its front matter).\n"
    assert knowledge_cli.main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert f"{RSV}\t" in "\n".join(lines)
    line = next(line for line in lines if line.startswith(f"{RSV}\t"))
    assert line.split("\t")[2:4] == ["2024-08-08", "2025-01-31 overdue"]


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (["review", RSV], "either a date (YYYY-MM-DD) or --clear"),
        (["review", RSV, "2027-01-31", "--clear"], "either a date (YYYY-MM-DD) or --clear"),
        (["review", RSV, "2027-13-01"], "'2027-13-01' is not a date"),
        (["review", "nope", "2027-01-31"], "No source 'nope'"),
    ],
)
def test_the_cli_refuses_a_wrong_review_command(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    fake_store: Store,
    argv: list[str],
    error: str,
) -> None:
    monkeypatch.setattr(knowledge_cli, "open_store", lambda settings: fake_store)
    assert knowledge_cli.main(argv) == 2
    assert error in capsys.readouterr().err


def test_generate_names_each_cited_source_past_its_review_date(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], fake_store: Store
) -> None:
    import knowledge
    from comms.cli.main import main

    monkeypatch.setattr(knowledge, "open_store", lambda settings: fake_store)
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    argv = ["generate", "--topic", "measles", "--audience", "parents-infants", "--channel", "sms",
            "--language", "de", "--concern-id", "safety"]  # fmt: skip
    assert main([*argv, "--json"]) == 0
    out, err = capsys.readouterr()
    payload = json.loads(out)
    cited = [c["source_id"] for c in payload["citations"]]
    assert cited == [MMR] and err == ""
    assert payload["review_overdue"] == [
        {
            "source_id": MMR,
            "review_by": "2014-06-14",
            "notice": "“MMR vaccine: effectiveness and side effects in natural frequencies "
            "(ACIP 2013)” of 2013-06: check for a newer one (review date 2014-06-14 passed)",
        }
    ]
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    note = lines.index(f"note: {payload['review_overdue'][0]['notice']}")
    assert lines[note - 1].startswith("[1] MMR vaccine")  # right under the citations
    set_review_date(load_settings(), fake_store, MMR, "2027-01-31", "Anna")  # the CLI's data dir
    assert main([*argv, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["review_overdue"] == []


def knowledge_page(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, store: Store, role: str | None = None
) -> AppTest:
    """The Knowledge page on the fake store; signed in with role, or with sign-in off."""
    from comms.accounts.auth import add_user
    from ui import resources

    current = settings
    if role is not None:
        add_user(settings, "rita", role, PASSWORD)
        current = load_settings(data_dir=settings.data_dir, auth_mode="local")
    monkeypatch.setattr(resources, "settings", lambda: current)
    monkeypatch.setattr(resources, "store", lambda: store)
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    if role is not None:
        at.text_input(key="login_name").input("rita")
        at.text_input(key="login_password").input(PASSWORD)
        next(b for b in at.button if b.label == "Anmelden").click().run()
    at.switch_page("pages/knowledge.py").run()
    assert not at.exception, at.exception
    return at


def review_column(at: AppTest) -> dict[str, str]:
    table = at.dataframe[0].value
    return dict(zip(table["ID"], table["Prüfen bis"], strict=True))


def test_the_knowledge_page_shows_review_dates_and_a_reviewer_sets_and_clears_one(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, fake_store: Store
) -> None:
    at = knowledge_page(monkeypatch, settings, fake_store, role="reviewer")
    column = review_column(at)
    assert column[RSV] == "2025-01-31 · überfällig" and column[PRINCIPLE] == "2027-11-30"
    at.selectbox(key="open_source").set_value(RSV).run()
    shown = [m.value for m in at.markdown]
    assert r"Prüfdatum: 2025\-01\-31 · überfällig (aus den Angaben der Quelle)" in shown
    at.date_input(key=f"review_date:{RSV}").set_value(dt.date(2027, 1, 31))
    at.button(key="review_set").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert review_column(at)[RSV] == "2027-01-31"
    assert review_dates(settings, fake_store)[RSV].set_by == "rita"
    assert any(m.startswith(r"Prüfdatum: 2027\-01\-31 (gesetzt von rita, ") for m in
               (m.value for m in at.markdown))  # fmt: skip
    at.button(key="review_clear").click().run()
    assert review_column(at)[RSV] == "2025-01-31 · überfällig"
    with pytest.raises(KeyError):
        at.button(key="review_clear")  # nothing set here any more


def test_an_editor_sees_review_dates_but_may_not_set_them(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, fake_store: Store
) -> None:
    at = knowledge_page(monkeypatch, settings, fake_store, role="editor")
    at.selectbox(key="open_source").set_value(RSV).run()
    assert any(m.value.startswith(r"Prüfdatum: 2025\-01\-31") for m in at.markdown)
    assert not at.date_input
    with pytest.raises(KeyError):
        at.button(key="review_set")
