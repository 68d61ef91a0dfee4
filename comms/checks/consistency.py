"""Consistency across a campaign: the same facts, recommendation and terms in every message."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

import yaml

from comms.campaign_facts import CampaignFacts
from comms.checks.numbers import find_numbers, normalise_number
from comms.message import Message
from core.catalog import base_language
from core.settings import PROJECT_ROOT

TERMS = PROJECT_ROOT / "catalog" / "lexicon" / "terms.yaml"


@dataclass(frozen=True)
class Finding:
    """One disagreement between messages of a campaign."""

    kind: str  # "facts", "recommendation" or "terminology"
    detail: str
    messages: tuple[int, ...]  # positions in the list checked


@lru_cache(maxsize=1)
def _term_groups() -> dict[str, list[list[str]]]:
    return dict(yaml.safe_load(TERMS.read_text(encoding="utf-8")))


def label(message: Message) -> str:
    """A short name for a message in findings: audience/channel/language."""
    return f"{message.audience}/{message.channel}/{message.language}"


def check_consistency(messages: list[Message], facts: CampaignFacts) -> list[Finding]:
    """Every disagreement in facts, recommendation source and terminology across messages."""
    return [*_facts(messages, facts), *_recommendations(messages), *_terminology(messages)]


def _facts(messages: list[Message], facts: CampaignFacts) -> list[Finding]:
    """Numbers that are neither in the fact sheet nor in the message's own cited evidence."""
    allowed = {normalise_number(n) for v in facts.filled().values() for n in find_numbers(v)}
    findings = []
    for index, message in enumerate(messages):
        cited = " ".join(p.text for p in message.cited_passages())
        own = allowed | {normalise_number(n) for n in find_numbers(cited)}
        stray = [n for n in find_numbers(message.text) if normalise_number(n) not in own]
        if stray:
            findings.append(
                Finding(
                    "facts",
                    f"{label(message)} states {', '.join(stray)}, which "
                    "is in neither the fact sheet nor its evidence",
                    (index,),
                )
            )
    return findings


def _recommendations(messages: list[Message]) -> list[Finding]:
    """Messages of one language that rest on recommendations from different bodies."""
    by_language: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for index, message in enumerate(messages):
        for passage in message.cited_passages():
            if passage.kind == "recommendation":
                by_language[message.language][_body(passage.source_id)].append(index)
    findings = []
    for language, bodies in by_language.items():
        # One voice: some body that every message of the language cites. A message may also
        # cite another body's paper for a fact (WHO's for side effects beside STIKO's schedule).
        citing = {i for ix in bodies.values() for i in ix}
        shared = [body for body, ix in bodies.items() if set(ix) == citing]
        if len(bodies) > 1 and not shared:
            detail = "; ".join(
                f"{body}: {len(set(ix))} message(s)" for body, ix in sorted(bodies.items())
            )
            ids = tuple(sorted({i for ix in bodies.values() for i in ix}))
            findings.append(
                Finding(
                    "recommendation",
                    f"{language}: messages cite different recommending bodies ({detail})",
                    ids,
                )
            )
    return findings


def _body(source_id: str) -> str:
    """The recommending body in a corpus id such as rec-flu-stiko-de → stiko."""
    parts = source_id.split("-")
    return parts[-2] if len(parts) >= 3 else source_id


def _terminology(messages: list[Message]) -> list[Finding]:
    """Messages of one language that name the same thing with different words."""
    findings = []
    for language in sorted({m.language for m in messages}):
        for group in _term_groups().get(base_language(language), []):
            used: dict[str, list[int]] = defaultdict(list)
            for index, message in enumerate(messages):
                if message.language != language:
                    continue
                for term in group:
                    if re.search(rf"(?<!\w){re.escape(term)}(?!\w)", message.text, re.IGNORECASE):
                        used[term].append(index)
            if len(used) > 1:
                words = ", ".join(f"“{term}” ({len(ix)})" for term, ix in used.items())
                ids = tuple(sorted({i for ix in used.values() for i in ix}))
                findings.append(
                    Finding(
                        "terminology",
                        f"{language}: {words}; the preferred term is “{group[0]}”",
                        ids,
                    )
                )
    return findings
