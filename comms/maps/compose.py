"""The composer: a publishable message from the approved map, in milliseconds, with no model.

Each channel has a layout (docs/maps.md): which key messages, facts and lines it takes, in which
order. Parts carry a priority; when a text is over the channel's limit, the least important part
goes first, so the main key message and the call to action always stay.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

import yaml

from comms.campaign_facts import (
    DEFAULT_LINE_FIELDS,
    FACT_LINE_FIELDS,
    SLOTS,
    CampaignFacts,
    asked_fields,
    contradicts_campaign,
    fact_line,
    fact_lines,
    lacking_facts,
)
from comms.checks.lint import has_call_to_action
from comms.checks.sentences import split_sentences
from comms.checks.sms import GSM_LANGUAGES, MAX_SMS_SEGMENTS, sms_info, to_gsm
from comms.maps.library import LoadedMap
from comms.maps.schema import Concern, KeyMessage, MapFact
from comms.message import Note
from comms.office import Office
from core.catalog import Audience, Channel, Language, Topic
from core.errors import InputError
from core.settings import PROJECT_ROOT
from knowledge.sources.corpus import corpus_countries

PHRASES = PROJECT_ROOT / "catalog" / "compose.yaml"
PLAIN_GRADE = 5  # audiences reading at this grade or below get Einfache Sprache in German
TYPICAL = 3  # at most this many of the audience's typical concerns in an FAQ or phone script
MAIN, KEY, CLOSE, FACT, FRAME, EXTRA = 10, 9, 8, 6, 5, 3  # part priorities: higher stays longer


@dataclass(frozen=True)
class Part:
    """One piece of a layout; `gap` puts a blank line before it (a new paragraph)."""

    text: str
    priority: int
    gap: bool = False


@dataclass(frozen=True)
class Composed:
    """A composed message and what it was made from."""

    text: str
    map_id: str
    map_version: str
    concern_id: str | None  # the concern answered; None when the general key messages were used
    key_set: str  # "key_messages" (the overarching three) or the id of the concern used
    key_messages: list[tuple[str, str]]  # (id, text) of the key messages the message carries
    facts: list[MapFact]  # the supporting facts under the key messages used: what it rests on
    sources: list[str]  # corpus ids the message cites, in order
    myth: str | None = None  # the myth a myth concern states once, inside a fact sandwich
    dropped: list[str] = field(default_factory=list)  # parts left out to fit the channel
    approved_texts: list[str] = field(default_factory=list)  # map texts the message shows
    frames: list[str] = field(default_factory=list)  # the composer's own lines around them
    notes: list[Note] = field(default_factory=list)  # what staff must know: statements left out
    asked: tuple[str, ...] = ()  # the facts of the fact sheet the concern asks for


@dataclass(frozen=True)
class _Job:
    topic: Topic
    audience: Audience
    channel: Channel
    language: Language
    facts: CampaignFacts
    words: dict[str, Any]
    concern: Concern | None
    keys: tuple[KeyMessage, ...]
    typical: tuple[Concern, ...]
    asked: tuple[str, ...] = ()  # the facts the concern asks for (cost, where, when)
    left_out: frozenset[str] = frozenset()  # ids of statements the campaign's dates contradict
    office: Office | None = None  # who signs; None: "Ihr Gesundheitsamt"

    @property
    def lang(self) -> str:
        return self.language.id

    def say(self, name: str, **values: str) -> str:
        """A phrase of compose.yaml in the message language, with its placeholders filled:
        the topic's forms, and `{office}`, the office's name (else the phrase `office`)."""
        topic = _topic_forms(self.words, self.topic.id, self.topic.label_in("en"))
        office = self.office.name_in(self.lang) if self.office else self.words["office"]
        return str(self.words[name]).format(office=office, **topic, **values)

    def per_audience(self, name: str) -> str:
        table = self.words[name]
        return str(table.get(self.audience.id) or table["default"])


@lru_cache(maxsize=1)
def _phrases() -> dict[str, dict[str, Any]]:
    return dict(yaml.safe_load(PHRASES.read_text(encoding="utf-8")))


def _topic_forms(words: dict[str, Any], topic_id: str, fallback: str) -> dict[str, str]:
    """The topic's name for the glue: `topic` as it starts a line, `topic_mid` inside a
    sentence, and (German) `topic_nom`, `topic_acc`, `topic_dat`, `topic_gen` with the article
    of each case; a language without cases gets the in-sentence name for each."""
    name = str(words["topic_names"].get(topic_id, fallback))
    mid = name if name[:2].isupper() or name[:1].isdigit() else name[:1].lower() + name[1:]
    cases = words.get("topic_cases", {}).get(topic_id, {})
    forms = {f"topic_{case}": str(cases.get(case, mid)) for case in ("nom", "acc", "dat", "gen")}
    return {"topic": name, "topic_mid": mid, **forms}


def choose_keys(
    loaded: LoadedMap, audience_id: str, concern_id: str | None
) -> tuple[Concern | None, tuple[KeyMessage, ...]]:
    """The concern answered and its three key messages; without a concern, the audience's
    overview where the map has one, else the overarching key messages."""
    found = loaded.map.concern(concern_id) if concern_id else None
    if concern_id and found is None:
        known = ", ".join(c.id for c in loaded.map.concerns)
        raise InputError(f"The map '{loaded.id}' has no concern '{concern_id}' ({known}).")
    if found is not None:
        return found, found.key_messages
    for concern in loaded.map.concerns:
        if concern.kind == "overview" and audience_id in concern.audiences:
            return concern, concern.key_messages
    return None, loaded.map.key_messages


def typical_concerns(loaded: LoadedMap, audience_id: str, skip: Concern | None) -> list[Concern]:
    """The concerns this audience typically has, in the map's order."""
    return [
        c
        for c in loaded.map.concerns
        if c.kind != "overview" and audience_id in c.audiences and c is not skip
    ]


def compose(
    loaded: LoadedMap,
    *,
    topic: Topic,
    audience: Audience,
    channel: Channel,
    language: Language,
    facts: CampaignFacts | None = None,
    concern_id: str | None = None,
    concern_text: str = "",
    office: Office | None = None,
) -> Composed:
    """Compose the message for one request from the map, the audience and the channel layout.

    `concern_text` is the staff's words: a concern that asks for the cost, the place or the
    time gets that fact in every channel (docs/maps.md). `office` signs letters, e-mails and
    phone calls (comms/office.py)."""
    concern, keys = choose_keys(loaded, audience.id, concern_id)
    words = _phrases().get(language.id) or _phrases()["en"]
    typical = tuple(typical_concerns(loaded, audience.id, concern)[:TYPICAL])
    asked = asked_fields(concern_text, concern.kind if concern is not None else None)
    job = _Job(topic, audience, channel, language, facts or CampaignFacts(), words, concern, keys,
               typical, asked, office=office)  # fmt: skip
    job, notes = _off_campaign(job, loaded)
    job = _given(job)
    job = _answer_first(job)
    keys = job.keys
    parts = LAYOUTS.get(channel.id, _letter)(job)
    text, dropped = _fit(parts, job)
    notes += _unanswered(text, job)
    answered = concern if concern_id else None
    shown = [
        k for k in (*keys, *(k for c in typical for k in c.key_messages)) if _key(k, job) in text
    ]
    grounds = [f for key in shown for f in key.facts if f.id not in job.left_out]
    approved = [_key(k, job) for k in shown] + [_fact(f, job) for f in grounds if _fact(f, job)]
    sources = _sources(tuple(shown) or keys, loaded)
    return Composed(
        text=text,
        map_id=loaded.id,
        map_version=loaded.version,
        concern_id=answered.id if answered else None,
        key_set=concern.id if concern is not None else "key_messages",
        key_messages=[(key.id, _key(key, job)) for key in keys if _key(key, job) in text],
        facts=grounds,
        sources=sources,
        myth=(concern.myth or {}).get(job.lang) if concern is not None else None,
        dropped=dropped,
        approved_texts=approved,
        frames=[_gsm(p.text, job) for p in parts if p.text not in approved],
        notes=notes,
        asked=job.asked,
    )


def _off_campaign(job: _Job, loaded: LoadedMap) -> tuple[_Job, list[Note]]:
    """The job without the map statements (key messages and facts) that name a time to
    vaccinate the campaign's dates never reach ("Autumn is the best time" for a clinic in
    March and April), and a note naming both for each one the message would have shown."""
    statements: list[KeyMessage | MapFact] = []
    for _, key in loaded.map.all_key_messages():
        statements += [key, *key.facts]
    written = job.facts.written_when or job.facts.when  # the months as the office wrote them
    off = {s.id: s for s in statements if contradicts_campaign(s.text, written)}
    if not off:
        return job, []
    would = _join(LAYOUTS.get(job.channel.id, _letter)(job))
    kept = tuple(k for k in job.keys if k.id not in off) or job.keys
    notes = []
    for statement in off.values():
        said = _text(statement.text, job)
        if not said or said not in would:
            continue
        text = (f"The map says “{said}”, but the campaign runs {job.facts.when}: the statement "
                "is left out; check that the message still says what you mean.")  # fmt: skip
        args = {"statement": said, "when": job.facts.when, "statement_id": statement.id}
        notes.append(Note(id="campaign_dates", text=text, args=args))
    return replace(job, keys=kept, left_out=frozenset(off)), notes


def _given(job: _Job) -> _Job:
    """The job without the key messages that stand in for a campaign fact the fact sheet
    gives ("we are glad to tell you what it costs" beside "Cost: free of charge"); the
    message carries that fact instead, in every channel."""
    keys = [*job.keys, *(k for c in job.typical for k in c.key_messages)]
    given = {k.id: k.stands_in_for for k in keys
             if k.stands_in_for and getattr(job.facts, k.stands_in_for)}  # fmt: skip
    if not given:
        return job
    kept = tuple(k for k in job.keys if k.id not in given) or job.keys
    own = {given[k.id] for k in job.keys if k.id in given}  # a typical concern's: its answer
    asked = tuple(slot for slot in SLOTS if slot in {*job.asked, *own})
    return replace(job, keys=kept, asked=asked, left_out=job.left_out | frozenset(given))


ONE_KEY = ("sms", "social")  # layouts with room for the main key message alone


def _answer_first(job: _Job) -> _Job:
    """In a channel with room for one key message, the concern's short answer leads (the map
    names it where its first key message does not answer the question); longer channels keep
    the map's order, a myth's fact sandwich included."""
    concern = job.concern
    if job.channel.id not in ONE_KEY or concern is None or concern.short_answer is None:
        return job
    order = [k.id for k in concern.answering_first()]
    ranked = sorted(job.keys, key=lambda k: order.index(k.id) if k.id in order else len(order))
    return replace(job, keys=tuple(ranked))


def _unanswered(text: str, job: _Job) -> list[Note]:
    """A note when the concern asks for a fact of the fact sheet (the cost, the place, the
    time) that the channel had no room for."""
    missing = lacking_facts(text, job.facts, job.asked, lambda value: _gsm(value, job))
    if not missing:
        return []
    fields = ", ".join(missing)
    said = (f"The concern asks for the fact sheet's {fields}, but the {job.channel.id} has "
            "no room for it next to the main key message: add it by hand, or use a longer "
            "channel.")  # fmt: skip
    return [Note(id="no_room", text=said, args={"fields": fields, "channel": job.channel.id})]


def _sources(keys: tuple[KeyMessage, ...], loaded: LoadedMap) -> list[str]:
    """The documents the key messages rest on: their facts' sources, else the authority's."""
    found = [fact.source for key in keys for fact in key.facts]
    return list(dict.fromkeys(found or loaded.map.authority.sources[:1]))


def _key(key: KeyMessage, job: _Job) -> str:
    return _text(key.text, job) or key.text[job.language.base_language]


def _fact(fact: MapFact, job: _Job) -> str:
    """A fact in the message language; facts are not translated beyond the map's languages.
    Empty where the campaign's dates contradict it."""
    return "" if fact.id in job.left_out else _text(fact.text, job)


def _shown_fact(fact: MapFact, job: _Job) -> str:
    """A fact as the message shows it: one that cites another country's or an international
    body's source says where it comes from, unless its own words already name it."""
    text = _fact(fact, job)
    if not text or not fact.from_abroad:
        return text
    country = corpus_countries().get(fact.source) or "INT"
    said = job.words["abroad"][country]
    names = job.words["abroad_names"][country]
    if any(re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text) for name in names):
        return text
    return f"{text} {said}"


def _keys_of(concern: Concern, job: _Job) -> list[KeyMessage]:
    """A typical concern's key messages, less those the campaign's dates contradict."""
    return [k for k in concern.key_messages if k.id not in job.left_out]


def _text(texts: dict[str, str], job: _Job) -> str:
    """A map text in the message language; German for an audience that reads at grade 5 or
    below (people with limited German) takes the map's Einfache Sprache wording."""
    if job.lang == "de" and job.audience.grade <= PLAIN_GRADE and "de-einfach" in texts:
        return texts["de-einfach"]
    return texts.get(job.lang, "")


def _main(job: _Job) -> str:
    """The main key message, opened with the topic's name where it does not name the topic;
    one that opens with a question ("Sie sind über 60?") gets a headline before it, so that
    the message still opens with a statement."""
    text = _key(job.keys[0], job)
    first = split_sentences(text, job.language.base_language)[:1]
    if first and first[0].rstrip("“”»«\"' ").endswith(("?", "؟")):
        return f"{job.say('headline')}\n{text}"
    if _names_topic(text, job):
        return text
    return f"{_topic(job)}: {text}"


def _one_question(text: str, job: _Job) -> str:
    """An FAQ opens with one question: the map's question, or its sentence that asks."""
    sentences = split_sentences(text, job.language.base_language)
    asking = [s for s in sentences if s.rstrip("“”»«\"' ").endswith(("?", "؟"))]
    if len(sentences) == 1 and asking:
        return text
    return asking[-1] if asking else job.say("general_question")


def _topic(job: _Job) -> str:
    return str(job.words["topic_names"].get(job.topic.id, job.topic.label_in("en")))


def _names_topic(text: str, job: _Job) -> bool:
    lowered = text.lower()
    return any(keyword.lower() in lowered for keyword in job.topic.keywords)


def _closing(job: _Job, fields: tuple[str, ...] | None = None) -> list[str]:
    """The fact sheet's line and, where it has no booking details, the call to action.

    `fields` default to the channel's, with the facts the concern asks for."""
    if fields is None:
        fields = _with_asked(FACT_LINE_FIELDS.get(job.channel.id, DEFAULT_LINE_FIELDS), job)
    line = fact_lines(job.facts, job.lang, job.channel.id, fields)
    lines = [line] if line else []
    if not has_call_to_action(line, job.lang):
        lines.insert(0, job.say("call_to_action"))
    return lines


def _with_asked(fields: tuple[str, ...], job: _Job) -> tuple[str, ...]:
    """The fields with those the concern asks for, in the fact sheet's order."""
    wanted = {*fields, *job.asked}
    return tuple(slot for slot in SLOTS if slot in wanted)


def _sms(job: _Job) -> list[Part]:
    """The main key message and the fact line: all of it, else what the concern asks for with
    the booking details, else what it asks for (all, else each alone), first with the call to
    action and then without it (the answer matters more than "ask your doctor"), else booking
    only, else the call to action alone."""
    main = _main(job)
    asked = tuple(f for f in job.asked if getattr(job.facts, f))
    alone = [(f,) for f in asked] if len(asked) > 1 else []
    shorter = [_with_asked(("booking",), job), asked, *alone] if asked else [("booking",)]
    answers = [
        [fact_lines(job.facts, job.lang, job.channel.id, fields)]
        for fields in ([asked, *alone] if asked else [])
    ]
    options: tuple[list[str], ...] = (
        _closing(job),
        *(_closing(job, fields) for fields in shorter),
        *answers,
        *([_closing(job, ("booking",))] if asked else []),
        [job.say("call_to_action")],
        [],
    )
    for closing in options:
        parts = [Part(main, MAIN), *(Part(line, MAIN) for line in closing if line)]
        if _fits(_join([Part(_gsm(p.text, job), p.priority) for p in parts]), job):
            return parts
    return parts


def _social(job: _Job) -> list[Part]:
    first = job.keys[0]
    parts = [Part(_main(job), MAIN)]
    if first.facts and _fact(first.facts[0], job):
        parts.append(Part(_shown_fact(first.facts[0], job), FACT))
    return parts + [Part(line, KEY) for line in _closing(job)]


def _key_paragraphs(job: _Job) -> list[Part]:
    """The three key messages, each with its facts; a myth stated once after the first."""
    parts: list[Part] = []
    for n, key in enumerate(job.keys):
        text = _main(job) if n == 0 else _key(key, job)
        parts.append(Part(text, MAIN if n == 0 else KEY, gap=True))
        if n == 0:
            parts += _frame(job)
        parts += [Part(_shown_fact(f, job), FACT - m) for m, f in enumerate(key.facts)
                  if _fact(f, job)]  # fmt: skip
    return parts


def _frame(job: _Job) -> list[Part]:
    """How the concern is acknowledged, or the myth introduced (fact, myth, fact)."""
    concern = job.concern
    myth = (concern.myth or {}).get(job.lang) if concern is not None else None
    if myth:
        return [Part(job.say("myth", myth=myth.rstrip(".!。 ")), KEY)]
    if concern is not None and concern.kind != "overview":
        question = concern.question.get(job.lang)
        if question:
            return [Part(job.say("acknowledge", question=question), FRAME)]
    return [Part(job.per_audience("opening"), EXTRA)]


def _letter(job: _Job) -> list[Part]:
    parts = [Part(job.per_audience("salutation"), CLOSE)]
    parts += _key_paragraphs(job)
    parts += [Part(line, MAIN, gap=n == 0) for n, line in enumerate(_closing(job))]
    parts += [Part(_sign_off(job), CLOSE, gap=True), Part(_sender(job), CLOSE)]
    return parts


def _sign_off(job: _Job) -> str:
    """The office's closing formula in the message language, else the language's usual one."""
    return (job.office.sign_off_in(job.lang) if job.office else "") or job.say("closing")


def _sender(job: _Job) -> str:
    """Who signs: the office's name, else "Ihr Gesundheitsamt". Never the fact sheet's
    contact: an e-mail address is not a signature (the fact lines carry it)."""
    return job.office.name_in(job.lang) if job.office else job.say("sender")


def _poster(job: _Job) -> list[Part]:
    parts = [Part(_main(job), MAIN)]
    parts += [Part(_key(key, job), KEY - n) for n, key in enumerate(job.keys[1:])]
    first = job.keys[0]
    if first.facts and _fact(first.facts[0], job):
        parts.append(Part(_shown_fact(first.facts[0], job), EXTRA))
    return parts + [Part(line, MAIN) for line in _closing(job)]


def _faq(job: _Job) -> list[Part]:
    question = job.concern.question.get(job.lang) if job.concern is not None else None
    parts = [Part(_one_question(question, job) if question else job.say("general_question"), MAIN)]
    parts += [Part(_main(job) if n == 0 else _key(k, job), MAIN if n == 0 else KEY)
              for n, k in enumerate(job.keys)]  # fmt: skip
    parts += _frame(job)[:1] if job.concern is not None and job.concern.myth else []
    for n, concern in enumerate(job.typical):
        asked = concern.question.get(job.lang)
        if asked:
            parts.append(Part(f"{asked}\n{_answer(concern, job)}", EXTRA - n, gap=True))
    return parts + [Part(line, MAIN, gap=n == 0) for n, line in enumerate(_closing(job))]


def _answer(concern: Concern, job: _Job) -> str:
    """A typical concern's answer: its first two key messages, and the campaign's fact where a
    key message that stands in for it was left out ("Kosten: kostenlos")."""
    said = [_key(k, job) for k in _keys_of(concern, job)[:2]]
    given = [k.stands_in_for for k in concern.key_messages
             if k.stands_in_for and k.id in job.left_out]  # fmt: skip
    said += [line for slot in given if (line := fact_line(job.facts, job.lang, "faq", (slot,)))]
    return " ".join(said)


def _phone(job: _Job) -> list[Part]:
    parts = [Part(job.say("phone_opening"), MAIN)]
    parts += [Part(_key(k, job), MAIN if n == 0 else KEY) for n, k in enumerate(job.keys)]
    for n, concern in enumerate(job.typical):
        asked = concern.question.get(job.lang)
        if asked:
            lead = job.words["phone_objection"][n % len(job.words["phone_objection"])]
            line = f"{lead.format(question=asked)}\n{_answer(concern, job)}"
            parts.append(Part(line, FRAME - n, gap=True))
    parts += [Part(line, MAIN, gap=n == 0) for n, line in enumerate(_closing(job))]
    return [*parts, Part(job.say("phone_closing"), CLOSE)]


LAYOUTS = {
    "sms": _sms,
    "social": _social,
    "letter": _letter,
    "email": _letter,
    "poster": _poster,
    "faq": _faq,
    "phone": _phone,
}


def _join(parts: list[Part]) -> str:
    text = ""
    for part in parts:
        if not text:
            text = part.text
        else:
            text += ("\n\n" if part.gap else "\n") + part.text
    return text


def _fits(text: str, job: _Job) -> bool:
    if job.channel.id == "sms":
        return sms_info(text).segments <= MAX_SMS_SEGMENTS
    return len(text) <= job.channel.max_chars


def _fit(parts: list[Part], job: _Job) -> tuple[str, list[str]]:
    """Drop the least important parts until the text fits the channel."""
    parts = [Part(_gsm(p.text, job), p.priority, p.gap) for p in parts]
    dropped: list[str] = []
    while not _fits(_join(parts), job) and len(parts) > 1:
        lowest = min(range(len(parts)), key=lambda n: (parts[n].priority, -n))
        if parts[lowest].priority >= MAIN:
            break
        dropped.append(parts.pop(lowest).text)
    return _join(parts), dropped


def _gsm(text: str, job: _Job) -> str:
    """SMS in German and English keep to GSM-7 characters, so a dash does not halve a segment."""
    if job.channel.id == "sms" and job.language.base_language in GSM_LANGUAGES:
        return to_gsm(text)
    return text


def frame_phrases(language: str, topic_id: str) -> list[str]:
    """The composer's own phrases in a language (salutations, openings, the call to action,
    sign-offs), with the topic named and a map's question or myth left out: the frames any
    message may carry without stating anything about a vaccine."""
    words = _phrases().get(language) or _phrases()["en"]
    forms = _topic_forms(words, topic_id, topic_id)
    found: list[str] = []
    for name, value in words.items():
        if name in ("topic_names", "topic_cases", "acknowledge", "myth", "abroad", "abroad_names"):
            continue
        values = value.values() if isinstance(value, dict) else value
        for phrase in [value] if isinstance(value, str) else list(values):
            text = str(phrase).replace("{office}", str(words["office"]))
            for form, said in forms.items():
                text = text.replace(f"{{{form}}}", said)
            found.append(re.sub(r"[„“\"]?\{[a-z]+\}[“”\"]?", " ", text).strip())
    return [f for f in dict.fromkeys(found) if f]


def topic_name(language: str, topic_id: str) -> str:
    """The topic's name as the composer writes it in a language ("Masern-Impfung")."""
    words = _phrases().get(language) or _phrases()["en"]
    return str(words["topic_names"].get(topic_id, topic_id))
