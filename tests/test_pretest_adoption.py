"""A pretest from the pack and back (issue 29): create it, export its survey, import
LimeSurvey-shaped answers with a known effect, analyse, and adopt the winner into the pack, with
the result in the audit trail and the manifest; and the same through `python -m comms pretest`."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest

from comms.cli.main import main
from comms.packs.archive import export_pack, read_manifest
from comms.packs.campaign import Cell
from comms.packs.review import edit_text
from comms.packs.store import PackStore
from comms.pretest.adoption import adopt
from comms.pretest.design import Pretest
from comms.pretest.limesurvey import rating_code, read_structure
from comms.pretest.store import PretestStore
from comms.pretest.versions import Choice
from comms.pretest.workflow import create_pretest, import_answers, survey_files
from core.errors import InputError
from core.settings import Settings
from knowledge.retrieval.store import Store
from tests.pack_helpers import generated, pack_settings, small_campaign

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

SMS = ("older-adults", "sms")
EDITS = {"de": "Lassen Sie sich jetzt gegen Grippe impfen.", "en": "Get your flu jab now."}


@pytest.fixture
def packs(settings: Settings, fake_store: Store) -> PackStore:
    """A composed pack with two variants; variant 2's SMS edited in German and English."""
    campaign = small_campaign(variants=2)
    store, _ = generated(pack_settings(settings), fake_store, campaign)
    for lang, text in EDITS.items():
        edit_text(store, campaign.id, Cell(*SMS, lang, 2), text, user="Ann", revision=None)
    return store


def made(packs: PackStore, settings: Settings, *picked: str) -> Pretest:
    return create_pretest(
        packs, PretestStore(settings), "flu-test", *SMS, ["de", "en"],
        [Choice.parse(p) for p in picked], user="Ann",
    )  # fmt: skip


def limesurvey_answers(pretest: Pretest, respondents: int, shift: dict[str, float]) -> bytes:
    """A LimeSurvey response export (';', answer codes): each respondent rates every version in
    the order of the form drawn for them; a version's scores are raised by shift[label]."""
    rng = np.random.default_rng(29)
    items = pretest.items
    positions = range(1, len(pretest.versions) + 1)
    header = ["id", "submitdate", "startlanguage", "FORM"] + [
        f"{rating_code(p)}[{item}]" for p in positions for item in items
    ]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(header)
    for person in range(1, respondents + 1):
        form = 1 + person % len(pretest.orders)
        base = rng.normal(3.0, 0.7)
        row = [
            str(person),
            "2026-11-02 10:00:00",
            pretest.languages[person % len(pretest.languages)],
            f"{form}.0000000000",
        ]
        for label in pretest.orders[form - 1]:
            for _ in items:
                score = base + shift.get(label, 0.0) + rng.normal(0, 0.5)
                row.append(str(int(min(5, max(1, round(score))))))
        writer.writerow(row)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def test_the_survey_files_are_made_from_the_stored_pretest(packs, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    pretest = made(packs, settings, "v1", "v2")
    assert pretest.id == "flu-test-older-adults-sms-1"
    assert made(packs, settings, "v2", "v2:composed").id == "flu-test-older-adults-sms-2"
    files = survey_files(pretest)
    name = f"pretest-{pretest.id}"
    assert sorted(files) == [
        f"{name}-answers.csv",
        f"{name}-limesurvey.txt",
        f"{name}-questionnaire-de.docx",
        f"{name}-questionnaire-de.pdf",
        f"{name}-questionnaire-en.docx",
        f"{name}-questionnaire-en.pdf",
    ]
    assert files[f"{name}-questionnaire-en.pdf"].startswith(b"%PDF-")
    structure = read_structure(files[f"{name}-limesurvey.txt"])
    assert structure.languages == ["de", "en"]
    shown = [row.cells["text"] for row in structure.block("de")]
    assert any(EDITS["de"] in text for text in shown)  # variant 2's text, as the pack has it


def test_the_clear_winner_is_adopted_into_the_pack_with_its_result(  # type: ignore[no-untyped-def]
    packs, settings: Settings, tmp_path: Path
) -> None:
    pretests = PretestStore(settings)
    pretest = made(packs, settings, "v1", "v2")
    data = limesurvey_answers(pretest, 40, {"B": 0.8})
    stored = import_answers(pretests, pretest.id, data, "results-survey.csv", user="Bo")
    assert (stored.respondents, stored.ratings) == (40, 40 * 2 * len(pretest.items))

    adopted = adopt(packs, pretests, pretest.id, user="Cem")

    assert adopted.result.version == "B" and adopted.result.decided_by_test
    assert adopted.result.respondents == 40
    (versus,) = adopted.result.comparisons
    assert versus.other == "A" and versus.difference > 0.4 and versus.ci_low > 0
    for lang, text in EDITS.items():
        message = packs.message("flu-test", Cell(*SMS, lang, 2))
        assert message is not None and message.status == "approved" and message.text == text
    other = packs.message("flu-test", Cell(*SMS, "de", 1))
    assert other is not None and other.status == "draft"  # the loser is left to the reviewers
    events = [e for e in packs.events("flu-test") if e.action == "pretest"]
    assert [e.cell.language for e in events if e.cell] == ["de", "en"]
    assert all(e.user == "Cem" and "Version B" in e.detail for e in events)

    out = export_pack(packs, "flu-test", tmp_path / "pack.zip", user="Cem")
    manifest = read_manifest(out.path)
    tested = {m.cell: m.pretests for m in manifest.messages}
    assert [r.pretest_id for r in tested[Cell(*SMS, "de", 2)]] == [pretest.id]
    assert tested[Cell(*SMS, "de", 2)][0].comparisons[0].other_variant == 1


def test_without_a_winner_staff_must_say_why_they_adopt_a_version(  # type: ignore[no-untyped-def]
    packs, settings: Settings
) -> None:
    pretests = PretestStore(settings)
    pretest = made(packs, settings, "v1", "v2")
    import_answers(pretests, pretest.id, limesurvey_answers(pretest, 12, {}), "r.csv", user="Bo")
    with pytest.raises(InputError, match="singled out no version"):
        adopt(packs, pretests, pretest.id, user="Cem")
    with pytest.raises(InputError, match="say why it is adopted anyway"):
        adopt(packs, pretests, pretest.id, user="Cem", label="A")
    assert all(m.status == "draft" for m in packs.messages("flu-test"))
    adopted = adopt(packs, pretests, pretest.id, user="Cem", label="A", reason="shorter")
    assert not adopted.result.decided_by_test
    assert adopted.result.summary.endswith("Version A adopted by Cem: shorter")


def test_a_tested_composed_version_replaces_the_text_before_approval(  # type: ignore[no-untyped-def]
    packs, settings: Settings
) -> None:
    pretests = PretestStore(settings)
    pretest = made(packs, settings, "v2", "v2:composed")
    data = limesurvey_answers(pretest, 40, {"B": 0.8})
    import_answers(pretests, pretest.id, data, "r.csv", user="Bo")
    adopt(packs, pretests, pretest.id, user="Cem")
    message = packs.message("flu-test", Cell(*SMS, "de", 2))
    assert message is not None
    assert message.text == pretest.versions[1].texts["de"] != EDITS["de"]
    assert message.status == "approved" and message.revision == 3  # generated, edited, adopted


def test_a_message_changed_since_the_test_is_not_adopted(packs, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    pretests = PretestStore(settings)
    pretest = made(packs, settings, "v1", "v2")
    data = limesurvey_answers(pretest, 40, {"B": 0.8})
    import_answers(pretests, pretest.id, data, "r.csv", user="Bo")
    cell = Cell(*SMS, "en", 2)
    edit_text(packs, "flu-test", cell, "A new English text.", user="Ann", revision=None)
    with pytest.raises(InputError, match="changed since the test"):
        adopt(packs, pretests, pretest.id, user="Cem")
    assert not [e for e in packs.events("flu-test") if e.action in ("pretest", "approve")]


def test_the_command_line_runs_a_pretest_from_choices_to_adoption(  # type: ignore[no-untyped-def]
    packs, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    message = ["--campaign", "flu-test", "--audience", SMS[0], "--channel", SMS[1]]
    assert main(["pretest", "choices", *message, "--languages", "de", "en"]) == 0
    assert capsys.readouterr().out.split() == ["v1", "v2", "v2:composed"]
    create = ["pretest", "create", *message, "--languages", "de", "en", "--versions", "1", "2"]
    assert main([*create, "--id", "sms-test", "--hoped-dz", "0.8"]) == 0
    assert "about 15 respondents find a difference of dz = 0.8" in capsys.readouterr().out
    assert main(["pretest", "export", "sms-test", "--out", str(tmp_path / "files")]) == 0
    assert len(list((tmp_path / "files").iterdir())) == 6
    answers = tmp_path / "answers.csv"
    answers.write_bytes(limesurvey_answers(PretestStore(settings).get("sms-test"), 40, {"B": 0.8}))
    assert main(["pretest", "import", "sms-test", str(answers), "--user", "Bo"]) == 0
    assert main(["pretest", "import", "sms-test", str(answers), "--user", "Bo"]) == 2
    assert "imported before" in capsys.readouterr().err
    assert main(["pretest", "analyse", "sms-test", "--language", "en"]) == 0
    assert "Version B was rated higher" in capsys.readouterr().out
    assert main(["pretest", "adopt", "sms-test", "--user", "Cem"]) == 0
    assert "Adopted version B" in capsys.readouterr().out
