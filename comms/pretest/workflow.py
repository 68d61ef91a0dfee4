"""A pretest from start to end: create it from the pack, write its survey files, take in answers."""

from __future__ import annotations

import re
from pathlib import Path

from comms.packs.store import PackStore
from comms.pretest.analysis import PretestAnalysis, analyse
from comms.pretest.answers import read_answer_file
from comms.pretest.design import Pretest, design_pretest
from comms.pretest.limesurvey import survey_filename, survey_structure
from comms.pretest.questionnaire import answer_template_csv, questionnaire_docx, questionnaire_pdf
from comms.pretest.store import PretestStore, StoredImport
from comms.pretest.versions import Choice, pick_versions
from core.clock import now
from core.errors import InputError
from knowledge.retrieval.store import Store


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
    hoped_dz: float = 0.5,
    knowledge: Store | None = None,
) -> Pretest:
    """Design and store a pretest of the picked versions of one pack message (`knowledge`:
    the evidence store a version from an older map version is composed with)."""
    versions = pick_versions(
        packs, campaign_id, audience, channel, languages, picked, knowledge=knowledge
    )
    made = design_pretest(
        id=pretest_id or _next_id(pretests, campaign_id, audience, channel),
        campaign_id=campaign_id,
        audience=audience,
        channel=channel,
        versions=versions,
        languages=languages,
        created_by=user,
        created_at=now(),
        hoped_dz=hoped_dz,
    )
    return pretests.create(made)


def survey_files(pretest: Pretest) -> dict[str, bytes]:
    """The files an office runs the pretest with: the LimeSurvey structure, the paper
    questionnaire per language (DOCX to adapt, PDF to print), and the CSV template for typing
    in paper answers."""
    files = {survey_filename(pretest): survey_structure(pretest)}
    for language in pretest.languages:
        name = f"pretest-{pretest.id}-questionnaire-{language}"
        files[f"{name}.docx"] = questionnaire_docx(pretest, language)
        files[f"{name}.pdf"] = questionnaire_pdf(pretest, language)
    files[f"pretest-{pretest.id}-answers.csv"] = answer_template_csv(pretest)
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


def analyse_pretest(pretests: PretestStore, pretest: Pretest) -> PretestAnalysis:
    """The analysis of every rating stored for the pretest, against the difference it hopes
    to find."""
    labels = [v.label for v in pretest.versions]
    return analyse(pretests.ratings(pretest.id), labels, hoped_dz=pretest.hoped_dz)


def _next_id(pretests: PretestStore, campaign_id: str, audience: str, channel: str) -> str:
    base = re.sub(r"-+", "-", f"{campaign_id}-{audience}-{channel}")[:58].strip("-")
    taken = {p.id for p in pretests.of_campaign(campaign_id)}
    for number in range(1, 1000):
        candidate = f"{base}-{number}"
        if candidate not in taken:
            return candidate
    raise InputError(f"Campaign '{campaign_id}' has 999 pretests of this message: name one.")
