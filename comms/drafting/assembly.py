"""How Clarion completes the model's text: placeholders filled once, a fact block only for the
facts the text lacks, and a character budget for the model so that the finished text always
fits its channel.

The model writes `{when}`, `{booking}` … and Clarion puts in the values. Clarion then adds the
channel's fact line, but only for the facts the text does not already carry. The budget (the
schema's `maxLength`) is what is left of the channel's limit after the worst case of both:
every offered placeholder that is not a fact-line field used once and filled in, and the whole
fact block added because the text used none of the fact-line placeholders. (Using a fact-line
placeholder costs less than the block's entry for that fact, so the worst case is not to use
it.) A text of exactly the budget therefore fits; `tests/test_assembly.py` checks it for every
channel and language.
"""

from __future__ import annotations

from dataclasses import dataclass

from comms.campaign_facts import (
    DEFAULT_LINE_FIELDS,
    FACT_LINE_FIELDS,
    CampaignFacts,
    fact_lines,
    fill_slots,
    lacking_facts,
)
from comms.checks.sms import GSM_LANGUAGES, is_gsm7, sms_char_budget, sms_units, to_gsm
from core.catalog import Channel, Language

MIN_TEXT = 60  # characters the model always gets for its own text, whatever the facts take
# Placeholders offered beyond the fact line, most useful first; one is left out of the prompt
# when filling it in would leave the model less than half the channel (an SMS in Turkish).
PLACEHOLDER_ORDER = ("when", "where", "cost", "booking", "contact", "what", "who", "source")


@dataclass(frozen=True)
class Assembly:
    """The plan for one request: the placeholders the prompt offers, the fact-line fields
    (each added only when the text lacks it) and the characters left for the model."""

    offered: tuple[str, ...]
    line_fields: tuple[str, ...]
    budget: int
    limit: int  # the channel's limit in characters (SMS: two segments of its encoding)


@dataclass(frozen=True)
class Assembled:
    """The model's text finished: placeholders filled, fact block added where needed."""

    text: str
    slots: list[str]  # the placeholders filled, in order
    fact_block: str  # what Clarion appended ("" when the text carried every fact)


def plan_assembly(channel: Channel, language: Language, facts: CampaignFacts) -> Assembly:
    """The placeholders to offer, the fact-line fields and the model's character budget."""
    values = {slot: channel_text(text, channel, language) for slot, text in facts.filled().items()}
    gsm, straddle = _sms_encoding(channel, language, facts) if channel.id == "sms" else (False, 0)
    limit = char_limit(channel, gsm) - straddle
    fields = FACT_LINE_FIELDS.get(channel.id, DEFAULT_LINE_FIELDS)
    reserve = _block_size(facts, fields, channel, language, gsm)
    if channel.id == "sms" and limit - reserve < MIN_TEXT:  # keep only the booking details
        fields = ("booking",)
        reserve = _block_size(facts, fields, channel, language, gsm)
    budget = limit - reserve
    floor = max(MIN_TEXT, limit // 2)
    offered = [f for f in fields if f in values]
    for slot in PLACEHOLDER_ORDER:
        if slot in values and slot not in fields:
            growth = max(0, _size(values[slot], channel, gsm) - len("{" + slot + "}"))
            if budget - growth >= floor:
                offered.append(slot)
                budget -= growth
    order = tuple(slot for slot in PLACEHOLDER_ORDER if slot in offered)
    return Assembly(order, fields, max(MIN_TEXT, budget), limit)


def assemble(
    raw: str, facts: CampaignFacts, plan: Assembly, channel: Channel, language: Language
) -> Assembled:
    """Fill the placeholders, then add the fact block for the fields the text lacks."""
    text, slots, _unknown = fill_slots(raw, facts)
    text = channel_text(text, channel, language)
    lacking = lacking_facts(
        text, facts, plan.line_fields, lambda value: channel_text(value, channel, language)
    )
    block = fact_block(facts, lacking, channel, language)
    return Assembled(f"{text}\n{block}" if block else text, slots, block)


def fact_block(
    facts: CampaignFacts, fields: tuple[str, ...], channel: Channel, language: Language
) -> str:
    """The facts of `fields` as Clarion appends them: one line in an SMS, else (and in plain
    German everywhere) a line each, since a row of facts joined by dots reads as one sentence."""
    return channel_text(fact_lines(facts, language.id, channel.id, fields), channel, language)


def channel_text(text: str, channel: Channel, language: Language) -> str:
    """SMS in Latin-script languages keep to GSM-7, so a dash does not halve a segment."""
    if channel.id == "sms" and language.base_language in GSM_LANGUAGES:
        return to_gsm(text)
    return text


def char_limit(channel: Channel, gsm: bool) -> int:
    """The channel's limit in characters; for SMS, two segments of the likely encoding."""
    if channel.id != "sms":
        return channel.max_chars
    return min(channel.max_chars, sms_char_budget(gsm))


def _sms_encoding(channel: Channel, language: Language, facts: CampaignFacts) -> tuple[bool, int]:
    """Whether an SMS travels as GSM-7 (a GSM language whose facts and labels are GSM-7), and
    the code units to hold back: one where a fact has a two-unit character, which may not
    straddle the two segments."""
    every = fact_block(facts, tuple(facts.filled()), channel, language)
    gsm = language.base_language in GSM_LANGUAGES and is_gsm7(every)
    return gsm, int(sms_units(every, gsm) > len(every))


def _block_size(
    facts: CampaignFacts, fields: tuple[str, ...], channel: Channel, language: Language, gsm: bool
) -> int:
    """The room the whole fact block takes, with the line break before it."""
    block = fact_block(facts, fields, channel, language)
    return _size("\n" + block, channel, gsm) if block else 0


def _size(text: str, channel: Channel, gsm: bool) -> int:
    """Characters; in an SMS, its code units (a GSM-7 extension character counts twice)."""
    return sms_units(text, gsm) if channel.id == "sms" else len(text)
