"""The message linter: rules a program can judge, scored in the spirit of the CDC Clear
Communication Index. Each check returns one item; docs/checks.md describes them all."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from comms.checks.fidelity import Embed, check_fidelity
from comms.checks.lexicon import Lexicon, find_terms, load_lexicon
from comms.checks.never_say import check_never_say
from comms.checks.numbers import find_numbers, find_ungrounded
from comms.checks.readability import measure_readability
from comms.checks.sentences import split_sentences, split_words
from comms.checks.sms import MAX_SMS_SEGMENTS, sms_info
from comms.checks.support import (
    Span,
    Support,
    refused_sentences,
    sentence_spans,
    sentence_verdict,
    value_forms,
)
from comms.checks.words import LINK, real_word_share
from comms.message import is_control
from comms.report import LintItem, LintReport, SentenceVerdict, Severity
from core.catalog import base_language

LanguageId = Literal["de", "en", "tr", "ar", "uk", "ru", "de-einfach", "de-leicht"]

MAIN_SENTENCE_WORDS = 25
GRADE_TOLERANCE = 1
SENTENCE_LIMITS = {"de-einfach": (15, "Einfache Sprache"), "de-leicht": (10, "Leichte Sprache")}
AVERAGE_WORDS = 20  # average sentence length for languages without a readability formula
MIN_DETECT_CHARS = 20
# One short sentence of Ukrainian is often read as Russian (and back): the whole text decides.
CLOSE_LANGUAGES = {"uk", "ru"}
SENTENCE_DETECT_WORDS = 4  # a sentence of fewer words is too short to tell its language
GREETING_WORDS = 4  # a sentence that opens with a greeting and is this short is only a greeting
MYTH_OVERLAP = 0.75  # share of the myth's key words that makes a sentence restate it
QUESTION_FIRST_CHANNELS = frozenset({"faq"})  # the FAQ's question comes before its main message
REPEAT_RUN = 3  # the same word this many times in a row is a stuck model, not emphasis
REAL_WORD_SHARE = 0.78  # below this share of known words a text is nonsense: bench/real_words.py
NONSENSE_CAP = 40  # the highest score of a text that fails one of GATE_CHECKS
GATE_CHECKS = frozenset({"well_formed", "real_words", "complete_sentences", "audience_fit"})
MIN_WORDS = 4  # a message of fewer words is a fragment
_TERMINAL = re.compile(r"[.!?…؟۔:][\"'»«“”’)\]]*$")
REPEAT_PHRASE = 3  # the same three-word phrase this many times, likewise
WORDS_PER_REPEAT = 25  # in a long script a name may recur: once per 25 words is not stuck
_WORD_RUNS = re.compile(r"[^\W_]+")  # words; an underscore splits them ("text_here_here")
_RESIDUE = re.compile(
    r"\w*[^\W_]_+[^\W_]\w*(?:\.\w+)?"  # snake_case, also of digits ("text_2022_2023.md")
    r"|</?[A-Za-z]+(?=[\s>/=])"  # markup ("<evidence n=", "</text>")
    r"|\{[^{}]*\}"  # a placeholder Clarion did not fill ("{your_message}")
)
_PERCENT = re.compile(r"\d[\d.,]*\s?[%٪％‰]|[%٪％]\s?\d")
_QUESTION_END = re.compile(r"[?؟][\"'»«“”’)\]]*$")


class LintContext(BaseModel):
    """What the linter needs to know besides the text."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    language: LanguageId
    channel: str
    max_chars: int = Field(gt=0)
    sms: bool | None = None  # None: true exactly when the channel id is "sms"
    grade: int = Field(ge=1, le=20)  # the audience's reading grade
    citations: int = Field(default=0, ge=0)
    citations_valid: bool = True  # every cited number points to a retrieved passage
    allowed_numbers: frozenset[str] = frozenset()  # numbers in the fact sheet or cited passages
    fact_values: tuple[str, ...] = ()  # the fact sheet's values: not judged for their language
    fact_block: str = ""  # the fact lines Clarion appended to the text: not prose, not its end
    # The approved key messages and facts the message was made from: a word of another
    # audience they use for this audience (grandparents and the baby they protect) is fine.
    approved_texts: tuple[str, ...] = ()
    myth: str | None = None
    topic_keywords: tuple[str, ...] = ()
    known_words: frozenset[str] = frozenset()  # words of the fact sheet, cited passages, glossary
    audience: str = ""  # the audience id the message is for
    off_audience_terms: tuple[str, ...] = ()  # lexicon entries that mark another audience
    authority: str = ""  # the audience's preferred recommending body ("STIKO")
    authority_sources: frozenset[str] = frozenset()  # corpus source ids of that body
    cited_recommendations: tuple[str, ...] = ()  # source ids of cited recommendation passages
    # the map's texts in this language no native speaker has checked (native_review_pending)
    unreviewed_translation: bool = False

    @property
    def is_sms(self) -> bool:
        """Whether length is judged in SMS segments."""
        return self.channel == "sms" if self.sms is None else self.sms


KeySet = tuple[tuple[str, str], ...]  # (id, text) of key messages


@dataclass(frozen=True)
class Meaning:
    """What the meaning checks need besides the text: what may back each sentence, the
    embedder, and the key messages a version keeps (docs/checks.md, "Every sentence").

    `key_messages` are the composed draft's; where `fidelity_required` is false (the draft's
    concern is not the one the request asked), keeping one of `key_sets` (the sets that fit
    the audience, by name) will do instead.
    """

    support: Support
    embed: Embed | None = None
    key_messages: KeySet = ()
    key_sets: tuple[tuple[str, KeySet], ...] = ()
    fidelity_required: bool = True


@dataclass(frozen=True)
class _Message:
    text: str
    sentences: list[str]
    lexicon: Lexicon
    ctx: LintContext
    meaning: Meaning | None = None
    spans: list[Span] = field(default_factory=list)  # sentencex sentences with their offsets


Args = dict[str, object]


def _item(
    item_id: str,
    passed: bool,
    reason: str,
    severity: Severity = "warning",
    scored: bool = True,
    key: tuple[str, Args] = ("", {}),
) -> LintItem:
    points = 1 if scored and passed else 0
    return LintItem(
        id=item_id, passed=passed, severity=severity, reason=reason,
        points=points, max_points=1 if scored else 0,
        reason_key=key[0], reason_args={name: str(value) for name, value in key[1].items()},
    )  # fmt: skip


def _keys(parts: list[tuple[str, str, Args]]) -> tuple[str, tuple[str, Args]]:
    """Join problems (English text, template key, arguments) into one reason and one key."""
    text = "; ".join(part[0] for part in parts)
    args: Args = {name: value for part in parts for name, value in part[2].items()}
    return text[0].upper() + text[1:] + ".", ("+".join(part[1] for part in parts), args)


def _quote(items: list[str]) -> str:
    return ", ".join(f'"{item}"' for item in dict.fromkeys(items))


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _short(sentence: str, limit: int = 60) -> str:
    return sentence if len(sentence) <= limit else sentence[: limit - 1] + "…"


def _find(m: _Message, entries: tuple[str, ...], text: str | None = None) -> list[str]:
    return find_terms(m.text if text is None else text, entries, m.lexicon.prefixes)


def _is_greeting(m: _Message, sentence: str) -> bool:
    opening = find_terms(sentence, m.lexicon.greetings, m.lexicon.prefixes)
    return any(sentence.lower().startswith(word.lower()) for word in opening)


def _greets(m: _Message, sentence: str) -> bool:
    """A greeting that says nothing about the topic: a phone call may open with one."""
    named = any(k.lower() in sentence.lower() for k in m.ctx.topic_keywords)
    return not named and bool(find_terms(sentence, m.lexicon.greetings, m.lexicon.prefixes))


def _main_index(m: _Message) -> int:
    """Index of the sentence that should carry the main message."""
    index = 0
    first = m.sentences[0] if m.sentences else ""
    if first.endswith((",", "،")) and _is_greeting(m, first):  # a letter's salutation line
        index = 1
    elif m.ctx.channel == "phone" and len(m.sentences) > 1 and _greets(m, first):
        index = 1  # the caller's greeting ("Gesundheitsamt Lindenhain, guten Tag!"), then why
    if m.ctx.channel in QUESTION_FIRST_CHANNELS and index < len(m.sentences):
        index += bool(_QUESTION_END.search(m.sentences[index]))
    return index


def _check_main_message(m: _Message) -> LintItem:
    """The first sentence carries the main message."""
    index = _main_index(m)
    if index >= len(m.sentences):
        reason = "There is no sentence to carry the main message."
        return _item("main_message_first", False, reason, key=("main.none", {}))
    sentence, n = m.sentences[index], index + 1
    words = len(split_words(sentence))
    args: Args = {"n": n, "sentence": _short(sentence), "words": words}
    problems = []
    if _is_greeting(m, sentence) and words <= GREETING_WORDS:
        problems.append(
            (f'Sentence {n} is only a greeting ("{_short(sentence)}")', "main.greeting", args)
        )
    if _QUESTION_END.search(sentence):
        problems.append(
            (f"Sentence {n} is a question; open with the answer", "main.question", args)
        )
    if words > MAIN_SENTENCE_WORDS:
        problems.append(
            (f"Sentence {n} has {words} words; a main message needs at most 25", "main.long", args)
        )
    keywords = m.ctx.topic_keywords
    if keywords and not any(k.lower() in sentence.lower() for k in keywords):
        topic = {"n": n, "keywords": ", ".join(keywords)}
        problems.append(
            (
                f"Sentence {n} does not name the topic (none of: {topic['keywords']})",
                "main.topic",
                topic,
            )
        )
    if problems:
        reason, key = _keys(problems)
        return _item("main_message_first", False, reason, key=key)
    reason = f'Sentence {n} carries the main message: "{_short(sentence)}".'
    return _item("main_message_first", True, reason, key=("main.ok", args))


def _last_word(sentence: str) -> str:
    words = split_words(sentence)
    return words[-1] if words else ""


def _check_complete_sentences(m: _Message) -> LintItem:
    """The message has at least MIN_WORDS words and no sentence breaks off after a function word.
    The last sentence (Clarion's fact lines come after it) must not trail off in one or in
    "please" unless it ends with ".", "!" or "?": a comma, colon, dash or ellipsis is no end."""
    count = len(split_words(m.text))
    if count < MIN_WORDS:
        reason = f"The message has {_plural(count, 'word')}; a message needs at least {MIN_WORDS}."
        return _item(
            "complete_sentences",
            False,
            reason,
            "error",
            key=("complete.short", {"words": count, "min": MIN_WORDS}),
        )
    prose = _own_sentences(m, "keep")
    for n, sentence in enumerate(m.sentences, 1):
        # "…when you have decided, please": the last sentence may not trail off after a mark.
        last_one = n == len(prose)
        ending = re.sub(r"(?:[^\w.!?؟۔]|\.{2,})+$", "", sentence) if last_one else sentence
        last = _last_word(ending)
        closed = re.search(r"[.!?؟۔]$", ending) if last_one else _TERMINAL.search(sentence)
        if not closed and _find(m, m.lexicon.fragment_ends, last):
            args: Args = {"n": n, "sentence": _short(sentence), "word": last}
            reason = f'Sentence {n} breaks off after "{last}" ("{_short(sentence)}").'
            return _item(
                "complete_sentences", False, reason, "error", key=("complete.fragment", args)
            )
    return _item(
        "complete_sentences", True, "Every sentence is complete.", "error", key=("complete.ok", {})
    )


def has_call_to_action(text: str, language: str) -> bool:
    """Whether the text has a call-to-action cue of the language's lexicon."""
    lexicon = load_lexicon(language)
    return bool(find_terms(text, lexicon.call_to_action, lexicon.prefixes))


def _unpaired(text: str) -> list[str]:
    """Braces and brackets without their partner ("}\n\n{", a lone "{")."""
    stack: list[str] = []
    stray: list[str] = []
    for ch in text:
        if ch in "{[":
            stack.append(ch)
        elif ch in "}]":
            if stack and stack[-1] == {"}": "{", "]": "["}[ch]:
                stack.pop()
            else:
                stray.append(ch)
    return stray + stack


def _markup_problems(m: _Message) -> list[tuple[str, str, Args]]:
    text = LINK.sub(" ", m.text)
    problems: list[tuple[str, str, Args]] = []
    residue = _RESIDUE.findall(text)
    if residue:
        found = _quote(residue[:3])
        problems.append(
            (
                f"markup or a placeholder is left in the text ({found})",
                "well.residue",
                {"found": found},
            )
        )
    stray = _unpaired(_RESIDUE.sub(" ", text))
    if stray:
        found = _quote(stray[:3])
        problems.append(
            (f"a brace or bracket has no partner ({found})", "well.stray", {"stray": found})
        )
    controls = [c for c in m.text if is_control(c)]
    if controls:
        codes = ", ".join(f"U+{ord(c):04X}" for c in controls[:3])
        args: Args = {"count": len(controls), "codes": codes}
        problems.append(
            (
                f"the text holds {len(controls)} invisible control character(s) ({codes})",
                "well.control",
                args,
            )
        )
    return problems


def _check_well_formed(m: _Message) -> LintItem:
    """No word or phrase stuck on repeat, no markup, stray brace or unfilled placeholder."""
    problems: list[tuple[str, str, Args]] = []
    words = [w.lower() for w in _WORD_RUNS.findall(m.text)]
    run, word = _longest_run(words)
    if run >= REPEAT_RUN:
        problems.append(
            (f'"{word}" comes {run} times in a row', "well.run", {"word": word, "run": run})
        )
    phrases = Counter(zip(words, words[1:], words[2:], strict=False))
    if phrases:
        phrase, count = phrases.most_common(1)[0]
        if count >= max(REPEAT_PHRASE, 1 + len(words) // WORDS_PER_REPEAT):
            args: Args = {"phrase": " ".join(phrase), "count": count}
            problems.append(
                (f'the phrase "{" ".join(phrase)}" comes {count} times', "well.phrase", args)
            )
    problems += _markup_problems(m)
    if problems:
        reason, key = _keys(problems)
        return _item("well_formed", False, reason, "error", key=key)
    reason = "No repetition, markup or placeholder left."
    return _item("well_formed", True, reason, "error", key=("well.ok", {}))


def _longest_run(words: list[str]) -> tuple[int, str]:
    best, best_word, run = 0, "", 0
    for n, word in enumerate(words):
        run = run + 1 if n and words[n - 1] == word else 1
        if run > best:
            best, best_word = run, word
    return best, best_word


def _check_real_words(m: _Message) -> LintItem:
    """At least REAL_WORD_SHARE of the words are numbers, known words or words of the language."""
    found = real_word_share(m.text, m.ctx.language, m.ctx.known_words)
    if not found.total:
        return _item("real_words", False, "The text has no words.", "error", key=("words.none", {}))
    share, need = round(100 * found.share), round(100 * REAL_WORD_SHARE)
    language = base_language(m.ctx.language)
    args: Args = {
        "share": share,
        "total": found.total,
        "need": need,
        "unknown": _quote(list(found.unknown[:5])),
    }
    if found.share >= REAL_WORD_SHARE:
        reason = f'{share} % of {_plural(found.total, "word")} are known "{language}" words.'
        return _item("real_words", True, reason, "error", key=("words.ok", args))
    reason = (
        f"Only {share} % of {_plural(found.total, 'word')} are real words (at least {need} % "
        f"needed); unknown: {args['unknown']}."
    )
    return _item("real_words", False, reason, "error", key=("words.few", args))


def _check_audience_fit(m: _Message) -> LintItem:
    """The message does not speak of another audience (babies in a message for older adults)."""
    audience = m.ctx.audience or "this audience"
    if not m.ctx.off_audience_terms:
        reason = "No words that mark another audience are known for this audience."
        return _item("audience_fit", True, reason, "error", scored=False, key=("audience.none", {}))
    approved = "\n".join(m.ctx.approved_texts)
    found = [
        hit
        for entry in m.ctx.off_audience_terms
        if not (approved and _find(m, (entry,), approved))  # the office approved it for them
        for hit in _find(m, (entry,))
    ]
    args: Args = {"audience": audience, "found": _quote(found)}
    if found:
        reason = f"The message is for {audience} but speaks of another audience: {args['found']}."
        return _item("audience_fit", False, reason, "error", key=("audience.other", args))
    reason = f"Nothing in the message speaks of an audience other than {audience}."
    return _item("audience_fit", True, reason, "error", key=("audience.ok", args))


def _check_authority(m: _Message) -> LintItem:
    """A cited recommendation comes from the audience's preferred body, if one is set."""
    ctx = m.ctx
    if not ctx.authority:
        reason = "No preferred recommending body for this audience."
        return _item("authority", True, reason, scored=False, key=("authority.none", {}))
    cited = list(dict.fromkeys(ctx.cited_recommendations))
    args: Args = {
        "authority": ctx.authority,
        "cited": ", ".join(cited),
        "sources": ", ".join(sorted(ctx.authority_sources)),
    }
    if not cited:
        reason = "No recommendation is cited."
        return _item("authority", True, reason, scored=False, key=("authority.uncited", args))
    if any(source in ctx.authority_sources for source in cited):
        reason = f"A recommendation of {ctx.authority} is cited."
        return _item("authority", True, reason, key=("authority.ok", args))
    reason = (
        f"The only recommendation cited is from {args['cited']}; for this audience speak with "
        f"{ctx.authority} ({args['sources']})."
    )
    return _item("authority", False, reason, key=("authority.other", args))


def _check_call_to_action(m: _Message) -> LintItem:
    """At least one call-to-action cue."""
    found = _find(m, m.lexicon.call_to_action)
    if found:
        return _item(
            "call_to_action",
            True,
            f"Call to action: {_quote(found)}.",
            key=("cta.ok", {"found": _quote(found)}),
        )
    examples = _quote(list(m.lexicon.call_to_action[:3]))
    reason = f"No call to action; tell readers what to do ({examples})."
    return _item("call_to_action", False, reason, key=("cta.missing", {"examples": examples}))


def _check_length(m: _Message) -> LintItem:
    """Within the channel's characters, or within two SMS segments."""
    if m.ctx.is_sms:
        info = sms_info(m.text)
        passed = info.segments <= MAX_SMS_SEGMENTS
        reason = (
            f"SMS in {info.encoding}: {_plural(info.units, 'unit')}, "
            f"{_plural(info.segments, 'segment')} of {info.chars_per_segment}; "
            f"at most {MAX_SMS_SEGMENTS} segments allowed."
        )
        args: Args = {
            "encoding": info.encoding, "units": info.units, "segments": info.segments,
            "per_segment": info.chars_per_segment, "max": MAX_SMS_SEGMENTS,
        }  # fmt: skip
        return _item("length", passed, reason, "error", key=("length.sms", args))
    count = len(m.text)
    reason = f"{count} characters; the {m.ctx.channel} channel allows {m.ctx.max_chars}."
    args = {"count": count, "channel": m.ctx.channel, "max": m.ctx.max_chars}
    return _item("length", count <= m.ctx.max_chars, reason, "error", key=("length.chars", args))


def _long_sentences(m: _Message, limit: int, name: str) -> list[tuple[str, str, Args]]:
    counts = [len(split_words(sentence)) for sentence in _own_sentences(m, "word")]
    return [
        (f"Sentence {i + 1} has {n} words; {name} allows {limit}", f"plain.long@{i + 1}",
         {f"words.{i + 1}": n, "limit": limit, "name": name})
        for i, n in enumerate(counts)
        if n > limit
    ]  # fmt: skip


def _clauses(m: _Message) -> list[tuple[str, str, Args]]:
    """Sentences with a comma before a subordinating word, or with a semicolon."""
    found: list[tuple[str, str, Args]] = []
    for i, sentence in enumerate(_own_sentences(m, "word")):
        heads = [part.split()[0] for part in re.split(r"[,;]", sentence)[1:] if part.split()]
        markers = [head for head in heads if find_terms(head, m.lexicon.clause_markers)]
        if markers or ";" in sentence:
            where = f'", {markers[0]}"' if markers else '";"'
            args: Args = {f"where.{i + 1}": where}
            text = f"Sentence {i + 1} has more than one statement ({where})"
            found.append((text, f"plain.clause@{i + 1}", args))
    return found


def _plain_language_items(m: _Message) -> list[LintItem]:
    limit, name = SENTENCE_LIMITS[m.ctx.language]
    leicht = m.ctx.language == "de-leicht"
    problems = _long_sentences(m, limit, name) + (_clauses(m) if leicht else [])
    rule = f"every sentence has at most {limit} words" + (", one statement each" if leicht else "")
    if problems:
        reason, key = _keys(problems)
    else:
        args: Args = {"limit": limit, "name": name}
        reason, key = f"{name}: {rule}.", ("plain.leicht_ok" if leicht else "plain.ok", args)
    items = [_item("readability", not problems, reason, "error", key=key)]
    if leicht:
        note = "Leichte Sprache must be checked by a test reader from the target group before use."
        items.append(_item("needs_test_reader", False, note, scored=False, key=("test_reader", {})))
    return items


def _own_sentences(m: _Message, values: Literal["drop", "word", "keep"] = "drop") -> list[str]:
    """The sentences the model or staff wrote, without the fact block Clarion appended.

    The fact sheet's values (an address or opening hours are the office's data, not its
    wording) are dropped (a sentence left with under two words goes too), count as one word
    each, or are kept as written."""
    text, block = m.text.rstrip(), m.ctx.fact_block.strip()
    if block and text.endswith(block) and text != block:
        text = text[: -len(block)]
    elif values == "keep" or not m.ctx.fact_values:
        return m.sentences
    stand_in = {"drop": " ", "word": " X ", "keep": ""}[values]
    for value in sorted(m.ctx.fact_values, key=len, reverse=True) if stand_in else ():
        text = text.replace(value, stand_in)
    sentences = split_sentences(text, m.ctx.language)
    if values != "drop":
        return sentences
    kept = [sentence for sentence in sentences if len(split_words(sentence)) >= 2]
    return kept or sentences or m.sentences


def _check_readability(m: _Message) -> list[LintItem]:
    """A readability formula against the audience grade, or the sentence rules of the language."""
    if m.ctx.language in SENTENCE_LIMITS:
        return _plain_language_items(m)
    if m.ctx.language in ("de", "en"):
        found = measure_readability(_own_sentences(m), m.ctx.language)
        top = m.ctx.grade + GRADE_TOLERANCE
        ease = "Flesch-Amstad" if m.ctx.language == "de" else "Flesch reading ease"
        reason = (
            f"{found.formula} {found.grade:g} ({ease} {found.reading_ease:g}); the audience reads "
            f"at grade {m.ctx.grade}, up to {top} accepted."
        )
        args: Args = {
            "formula": found.formula, "grade": f"{found.grade:g}", "ease_name": ease,
            "ease": f"{found.reading_ease:g}", "audience_grade": m.ctx.grade, "top": top,
        }  # fmt: skip
        return [_item("readability", found.grade <= top, reason, key=("readability.grade", args))]
    counts = [len(split_words(sentence)) for sentence in _own_sentences(m, "word")] or [0]
    average = sum(counts) / len(counts)
    reason = f"Sentences average {average:.1f} words; at most {AVERAGE_WORDS} allowed."
    args = {"average": f"{average:.1f}", "max": AVERAGE_WORDS}
    return [
        _item("readability", average <= AVERAGE_WORDS, reason, key=("readability.average", args))
    ]


def _check_jargon(m: _Message) -> LintItem:
    """Technical terms from the lexicon, each with its plain alternative."""
    hits = []
    for entry in m.lexicon.jargon:
        found = _find(m, (entry.term,))
        if found:
            hits.append(f'"{found[0]}" → "{entry.plain}"')
    if hits:
        reason = "Jargon: " + "; ".join(hit.replace("→", "→ say") for hit in hits) + "."
        return _item("jargon", False, reason, key=("jargon.found", {"hits": "; ".join(hits)}))
    return _item("jargon", True, "No jargon from the lexicon.", key=("jargon.ok", {}))


def _check_tone(m: _Message) -> LintItem:
    """No fear, urgency, pressure or stigma words."""
    lexicon, hits = m.lexicon, list[tuple[str, str, Args]]()
    for category in ("fear", "urgency", "pressure", "stigma"):
        found = _find(m, getattr(lexicon, category))
        if found:
            hits.append(
                (f"{category}: {_quote(found)}", f"tone.{category}", {category: _quote(found)})
            )
    if hits:
        reason, key = _keys(hits)
        return _item("tone", False, "Avoid " + reason[0].lower() + reason[1:], key=key)
    reason = "No fear, urgency, pressure or stigma words."
    return _item("tone", True, reason, key=("tone.ok", {}))


def _key_stems(myth: str) -> list[str]:
    words = [w.lower() for w in split_words(myth) if len(w) >= 4 and not w.isdigit()]
    return list(dict.fromkeys(w[:5] for w in words))


def _states_myth(m: _Message, sentence: str) -> bool:
    if _find(m, m.lexicon.myth_markers, sentence):
        return True
    stems = _key_stems(m.ctx.myth or "")
    if not stems:
        return False
    words = [w.lower() for w in split_words(sentence)]
    shared = sum(any(stem in word for word in words) for stem in stems)
    return shared >= math.ceil(MYTH_OVERLAP * len(stems))


def _check_fact_sandwich(m: _Message) -> LintItem:
    """A myth comes once, never first, with a fact before and after it."""
    start = _main_index(m)
    body = list(enumerate(m.sentences))[start:]
    myths = [i for i, sentence in body if _states_myth(m, sentence)]
    if not myths:
        if m.ctx.myth is None:
            return _item(
                "fact_sandwich",
                True,
                "No myth is addressed.",
                scored=False,
                key=("sandwich.none", {}),
            )
        reason = "The myth is not repeated; the message states facts."
        return _item("fact_sandwich", True, reason, key=("sandwich.kept_out", {}))
    label = ", ".join(str(i + 1) for i in myths)
    args: Args = {"n": start + 1, "sentences": label, "last": myths[-1] + 1}
    problems = []
    if myths[0] == start:
        problems.append(
            (f"Sentence {start + 1} states the myth; open with the fact", "sandwich.first", args)
        )
    if len(myths) > 1:
        problems.append(
            (f"the myth appears in sentences {label}; mention it once", "sandwich.repeated", args)
        )
    if not any(i not in myths for i, _ in body if i > myths[-1]):
        problems.append(
            (
                f"no fact follows the myth in sentence {myths[-1] + 1}",
                "sandwich.no_fact_after",
                args,
            )
        )
    if problems:
        reason, key = _keys(problems)
        return _item("fact_sandwich", False, reason, key=key)
    reason = f"Fact, myth (sentence {label}), fact."
    return _item("fact_sandwich", True, reason, key=("sandwich.ok", args))


def _check_natural_frequencies(m: _Message) -> LintItem:
    """Percentages are flagged; "1 in 1,000" style numbers pass."""
    found = [match.group() for match in _PERCENT.finditer(m.text)]
    found += _find(m, m.lexicon.percent_words)
    if found:
        example = m.lexicon.frequency_example
        reason = f'Percentages: {_quote(found)}; use natural frequencies such as "{example}".'
        args: Args = {"found": _quote(found), "example": example}
        return _item("natural_frequencies", False, reason, key=("frequencies.percent", args))
    if not find_numbers(m.text):
        reason = "No numbers or percentages."
        return _item(
            "natural_frequencies", True, reason, scored=False, key=("frequencies.none", {})
        )
    reason = "Numbers are given without percentages."
    return _item("natural_frequencies", True, reason, key=("frequencies.ok", {}))


def _check_numbers(m: _Message) -> LintItem:
    """Every number appears in the fact sheet or a cited passage."""
    numbers = find_numbers(m.text)
    if not numbers:
        reason = "No numbers in the message."
        return _item(
            "numbers_grounded", True, reason, "error", scored=False, key=("numbers.none", {})
        )
    missing = find_ungrounded(m.text, m.ctx.allowed_numbers)
    if missing:
        reason = f"Not in the fact sheet or a cited passage: {', '.join(missing)}."
        key: tuple[str, Args] = ("numbers.missing", {"missing": ", ".join(missing)})
        return _item("numbers_grounded", False, reason, "error", key=key)
    reason = f"Grounded: {_plural(len(numbers), 'number')}."
    return _item(
        "numbers_grounded", True, reason, "error", key=("numbers.ok", {"count": len(numbers)})
    )


def _check_citations(m: _Message) -> LintItem:
    """At least one citation, and every citation valid."""
    if m.ctx.citations == 0:
        reason = "No citation; cite at least one passage."
        return _item("citations", False, reason, "error", key=("citations.none", {}))
    if not m.ctx.citations_valid:
        reason = "A citation number does not match a retrieved passage."
        return _item("citations", False, reason, "error", key=("citations.invalid", {}))
    reason = f"{_plural(m.ctx.citations, 'citation')}, all valid."
    return _item(
        "citations", True, reason, "error", key=("citations.ok", {"count": m.ctx.citations})
    )


def _check_language(m: _Message) -> LintItem:
    """The detected language is the requested one (German for Einfache/Leichte Sprache)."""
    from knowledge.sources.language import detect_language  # lingua is heavy: load on first use

    text = m.text
    for value in sorted(m.ctx.fact_values, key=len, reverse=True):  # an address stays German
        text = text.replace(value, " ")
    wanted, found = base_language(m.ctx.language), detect_language(text)
    size = len(text.strip())
    severity: Severity = "warning" if size < MIN_DETECT_CHARS else "error"
    args: Args = {"found": found, "wanted": wanted, "size": size}
    foreign = _foreign_sentences(m, wanted)
    if found == wanted and foreign:
        first = foreign[0]
        args.update(sentence=_short(first.text), other=first.reason_args["found"])
        reason = (
            f'Sentence "{_short(first.text)}" is in "{first.reason_args["found"]}", not '
            f'"{wanted}" ({_plural(len(foreign), "sentence")} in another language).'
        )
        item = _item("language", False, reason, "error", key=("language.mixed", args))
        return item.model_copy(update={"sentences": tuple(foreign)})
    if found == wanted:
        return _item(
            "language",
            True,
            f'Detected "{found}" as requested.',
            severity,
            key=("language.ok", args),
        )
    reason = f'Detected "{found}"; expected "{wanted}".'
    key = "language.other"
    if severity == "warning":
        reason += f" The text is short ({size} characters), so detection is unsure."
        key = "language.other_short"
    return _item("language", False, reason, severity, key=(key, args))


def _check_fidelity(m: _Message) -> LintItem:
    """A model's version keeps the draft's key messages, or, where the request did not ask the
    draft's concern, the key messages of a concern that fits the audience."""
    meaning = m.meaning
    if meaning is None or not meaning.key_messages:
        reason = "No key messages to keep (the composed message is made of them)."
        return _item("fidelity", True, reason, "error", scored=False, key=("fidelity.none", {}))
    embed = meaning.embed
    kept = check_fidelity(m.text, list(meaning.key_messages), m.ctx.language, embed)
    if kept.passed or meaning.fidelity_required:
        return kept
    for name, keys in meaning.key_sets:
        other = check_fidelity(m.text, list(keys), m.ctx.language, embed)
        if other.passed:
            args: Args = {"count": len(keys), "concern": name}
            reason = f'Keeps the {len(keys)} key messages of "{name}", which fit this audience.'
            return _item("fidelity", True, reason, "error", key=("fidelity.other_concern", args))
    return kept


def _check_supported(m: _Message) -> LintItem:
    """Every sentence is an approved statement, logistics or a frame (comms/checks/support.py)."""
    if m.meaning is None or not m.meaning.support.statements:
        reason = "No approved statements to judge the sentences against."
        return _item("supported", True, reason, "error", scored=False, key=("supported.none", {}))
    spans, verdicts = refused_sentences(m.text, m.meaning.support, m.meaning.embed, m.spans)
    refused = [sentence_verdict(s, v) for s, v in zip(spans, verdicts, strict=True)
               if not v.supported]  # fmt: skip
    args: Args = {"count": len(spans), "refused": len(refused)}
    if not refused:
        reason = f"All {len(spans)} sentences rest on the map, a cited passage or the facts."
        return _item("supported", True, reason, "error", key=("supported.ok", args))
    first = refused[0]
    args["sentence"] = _short(first.text)
    reason = (
        f"{_plural(len(refused), 'sentence')} not backed by the map or a cited passage, "
        f'first: "{_short(first.text)}" ({first.reason.lower()}).'
    )
    item = _item("supported", False, reason, "error", key=("supported.refused", args))
    return item.model_copy(update={"sentences": tuple(refused)})


def _foreign_sentences(m: _Message, wanted: str) -> list[SentenceVerdict]:
    """Sentences long enough to tell (fact values, links and names taken out) whose language
    is another than the one asked for."""
    from knowledge.sources.language import detect_language

    names = m.meaning.support.vocabulary if m.meaning is not None else ()
    found = []
    for span in m.spans:
        bare = LINK.sub(" ", span.text)
        for value in value_forms([*m.ctx.fact_values, *names]):
            bare = bare.replace(value, " ")
        if len(_WORD_RUNS.findall(bare)) < SENTENCE_DETECT_WORDS:
            continue
        language = detect_language(bare)
        if language not in (wanted, "und") and {language, wanted} != CLOSE_LANGUAGES:
            args = {"found": language, "wanted": wanted}
            reason = f"Written in {language}, not {wanted}"
            verdict = SentenceVerdict(
                start=span.start, end=span.end, text=span.text, check="language",
                rule="language.sentence", reason=reason, reason_key="language.sentence",
                reason_args=args,
            )  # fmt: skip
            found.append(verdict)
    return found


def _check_never_say(m: _Message) -> LintItem:
    """No sentence says what a health message must never say (catalog/never_say.yaml),
    unless the office's approved texts say it too."""
    approved = list(m.ctx.approved_texts)
    if m.meaning is not None:
        approved += [
            s.text for s in m.meaning.support.statements if s.kind in ("map", "question", "draft")
        ]
    spans = [(s.start, s.end, s.text) for s in m.spans]
    return check_never_say(spans, m.ctx.language, tuple(dict.fromkeys(approved)))


def _check_native_reader(m: _Message) -> list[LintItem]:
    """Advice, not a failure: the map's texts in this language are a translation no native
    speaker has checked, so one reads the message before it goes out."""
    if not m.ctx.unreviewed_translation:
        return []
    note = (f"The map's {m.ctx.language} texts are a translation no native speaker has checked: "
            "have one read the message before it goes out.")  # fmt: skip
    args: Args = {"language": m.ctx.language}
    return [_item("needs_native_reader", False, note, scored=False, key=("native_reader", args))]


CHECKS: tuple[Callable[[_Message], LintItem | list[LintItem]], ...] = (
    _check_well_formed, _check_real_words, _check_complete_sentences, _check_main_message,
    _check_call_to_action, _check_length, _check_readability, _check_jargon, _check_tone,
    _check_fact_sandwich, _check_natural_frequencies, _check_numbers, _check_citations,
    _check_language, _check_audience_fit, _check_authority, _check_fidelity, _check_supported,
    _check_never_say, _check_native_reader,
)  # fmt: skip


def score_items(items: list[LintItem]) -> int:
    """Points earned as a rounded percentage of points possible (100 when nothing is scored)."""
    possible = sum(item.max_points for item in items)
    return round(100 * sum(item.points for item in items) / possible) if possible else 100


def capped_score(items: list[LintItem]) -> int:
    """The score, at most NONSENSE_CAP when a gate check (nonsense, fragment, audience) failed."""
    score = score_items(items)
    gate_failed = any(item.id in GATE_CHECKS and not item.passed for item in items)
    return min(score, NONSENSE_CAP) if gate_failed else score


def with_item(report: LintReport, item: LintItem) -> LintReport:
    """The report with one more item (a check run outside the linter, such as the model's
    second opinion), scored as if it had run with the others."""
    items = [*report.items, item]
    return LintReport(items=tuple(items), score=capped_score(items))


def lint(text: str, ctx: LintContext, meaning: Meaning | None = None) -> LintReport:
    """Run every check on `text` and score the result; `meaning` turns on the checks of what
    each sentence says (without it they are not judged, and say so)."""
    lexicon = load_lexicon(ctx.language)
    spans = sentence_spans(text, ctx.language, ctx.fact_values)
    message = _Message(text, split_sentences(text, ctx.language), lexicon, ctx, meaning, spans)
    items: list[LintItem] = []
    for check in CHECKS:
        result = check(message)
        items.extend(result if isinstance(result, list) else [result])
    return LintReport(items=tuple(items), score=capped_score(items))
