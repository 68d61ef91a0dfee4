"""Sample scenarios: plain variables to preview and trial-render a template without a model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from comms.drafting.template import PromptTemplate, parse_template, render, shipped_text
from core.catalog import load_catalog, pick

# Clearly fake evidence: a preview must never look like real guidance.
SAMPLE_PASSAGES: tuple[dict[str, str], ...] = (
    {
        "title": "Sample passage: how vaccines are checked",
        "source": "https://example.org/sample-1",
        "text": "Before approval, vaccines are tested in large studies; afterwards their safety "
        "keeps being monitored.",
    },
    {
        "title": "Sample passage: where to get vaccinated",
        "source": "https://example.org/sample-2",
        "text": "Family doctors and the health office's vaccination clinic give the vaccine "
        "free of charge.",
    },
)
SAMPLE_FACTS = {
    "when": "from 2 November, Mondays 9 to 12",
    "where": "Health office, 5 Sample Street",
    "booking": "call 0123 456789",
}
SAMPLE_KEY_MESSAGES = (
    "Sample key message: vaccines are checked before and after approval.",
    "Sample key message: the health office's clinic gives the vaccine.",
)
SAMPLE_DRAFT = "Vaccines are safe. Get vaccinated now, it is your duty!"
SAMPLE_FAILURES: tuple[dict[str, str], ...] = (
    {"item": "tone", "reason": "'it is your duty' sounds like pressure."},
    {"item": "call to action", "reason": "It does not say where to get vaccinated."},
)
SAMPLE_SOURCE_TEXT = (
    "Measles can be serious. Two MMR vaccinations protect for life. Ask your family doctor or "
    "the health office's clinic."
)


@dataclass(frozen=True)
class Scenario:
    """Catalog ids and a concern that stand in for a real request in a preview."""

    topic: str = "measles"
    audience: str = "hesitant"
    channel: str = "sms"
    language: str = "de"
    concern: str = "Is the vaccine safe?"
    source_language: str = "en"


def sample_variables(template_id: str, scenario: Scenario | None = None) -> dict[str, Any]:
    """The variables Clarion's code would pass to template_id, filled from the scenario."""
    scenario = scenario or Scenario()
    catalog = load_catalog()
    audience = pick(catalog.audiences, scenario.audience, "audience").model_dump()
    channel = pick(catalog.channels, scenario.channel, "channel").model_dump()
    language = pick(catalog.languages, scenario.language, "language").model_dump()
    if template_id == "adapt_message":
        source = pick(catalog.languages, scenario.source_language, "language").model_dump()
        return {
            "source_text": SAMPLE_SOURCE_TEXT,
            "source_language": source,
            "language": language,
            "audience": audience,
            "channel": channel,
        }
    drafting = {
        "topic": pick(catalog.topics, scenario.topic, "topic").model_dump(),
        "audience": audience,
        "channel": channel,
        "language": language,
        "concern": scenario.concern.strip(),
        "passages": [{**p, "flagged": False} for p in SAMPLE_PASSAGES],
        "facts": dict(SAMPLE_FACTS),
        "key_messages": list(SAMPLE_KEY_MESSAGES),
        "composed": " ".join(SAMPLE_KEY_MESSAGES),
    }
    if template_id == "repair_message":
        drafting |= {"draft": SAMPLE_DRAFT, "failures": [dict(f) for f in SAMPLE_FAILURES]}
    return drafting


def preview(template: PromptTemplate, scenario: Scenario | None = None) -> list[dict[str, str]]:
    """The chat messages the template renders to for a sample scenario."""
    return render(template, sample_variables(template.id, scenario))


def drafts_with(template: PromptTemplate) -> bool:
    """Whether draft_message can write a message with this template (it passes only its own)."""
    drafting = parse_template(shipped_text("draft_message")).variables
    return set(template.variables) <= set(drafting)
