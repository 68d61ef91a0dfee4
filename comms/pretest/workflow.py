"""A pretest from start to end: create it from the pack, write its survey files, take in answers."""

from __future__ import annotations

import re
from pathlib import Path

from comms.packs.store import PackStore
from comms.pretest.answers import read_answer_file
from comms.pretest.design import Pretest, design_pretest
from comms.pretest.limesurvey import survey_structure
from comms.pretest.questionnaire import answer_template_csv, questionnaire_docx
from comms.pretest.store import PretestStore, StoredImport
from comms.pretest.versions import Choice, pick_versions
from core.clock import now
from core.errors import InputError


def create_pretest(
    packs: PackStore,
    pretests: PretestStore,
    campaign_id: str,
    audience: str,
    channel: str,
    languages: list[str],
    picked: list[Choice],
    *,
    user: str,
    pretest_id: str | None = None,
) -> Pretest:
    """Design and store a pretest of the picked versions of one pack message."""
    versions = pick_versions(packs, campaign_id, audience, channel, languages, picked)
    made = design_pretest(
        id=pretest_id or _next_id(pretests, campaign_id, audience, channel),
        campaign_id=campaign_id,
        audience=audience,
        channel=channel,
        versions=versions,
        languages=languages,
        created_by=user,
        created_at=now(),
    )
    return pretests.create(made)


def survey_files(pretest: Pretest) -> dict[str, bytes]:
    """The files an office runs the pretest with: the LimeSurvey structure, one paper
    questionnaire per language, and the CSV template for typing in paper answers."""
    files = {f"{pretest.id}-limesurvey.txt": survey_structure(pretest)}
    for language in pretest.languages:
        files[f"{pretest.id}-questionnaire-{language}.docx"] = questionnaire_docx(pretest, language)
    files[f"{pretest.id}-answers.csv"] = answer_template_csv(pretest)
    return files


def write_survey_files(pretest: Pretest, folder: Path) -> list[Path]:
    """Write survey_files into a folder; the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in survey_files(pretest).items():
        path = folder / name
        path.write_bytes(data)
        written.append(path)
    return written


def import_answers(
    pretests: PretestStore, pretest_id: str, data: bytes, filename: str, *, user: str
) -> StoredImport:
    """Read an answer file and store its ratings, all or none."""
    pretest = pretests.get(pretest_id)
    found = read_answer_file(pretest, data, filename)
    return pretests.add_ratings(pretest, found.ratings, filename=filename, data=data, user=user)


def _next_id(pretests: PretestStore, campaign_id: str, audience: str, channel: str) -> str:
    base = re.sub(r"-+", "-", f"{campaign_id}-{audience}-{channel}")[:58].strip("-")
    taken = {p.id for p in pretests.of_campaign(campaign_id)}
    for number in range(1, 1000):
        candidate = f"{base}-{number}"
        if candidate not in taken:
            return candidate
    raise InputError(f"Campaign '{campaign_id}' has 999 pretests of this message: name one.")
