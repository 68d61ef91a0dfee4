"""The message linter: rules a program can judge, scored in the spirit of the CDC Clear
Communication Index. Each check returns one item; docs/checks.md describes them all."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from comms.checks.lexicon import Lexicon, base_language, find_terms, load_lexicon
from comms.checks.numbers import find_numbers, find_ungrounded
from comms.checks.readability import measure_readability
from comms.checks.sentences import split_sentences, split_words
from comms.checks.sms import sms_info
from comms.message import is_control
from comms.report import LintItem, LintReport, Severity

LanguageId = Literal["de", "en", "tr", "ar", "uk", "ru", "de-einfach", "de-leicht"]

MAX_SMS_SEGMENTS = 2
MAIN_SENTENCE_WORDS = 25
GRADE_TOLERANCE = 1
SENTENCE_LIMITS = {"de-einfach": (15, "Einfache Sprache"), "de-leicht": (10, "Leichte Sprache")}
AVERAGE_WORDS = 20  # average sentence length for languages without a readability formula
MIN_DETECT_CHARS = 20
GREETING_WORDS = 4  # a sentence that opens with a greeting and is this short is only a greeting
MYTH_OVERLAP = 0.75  # share of the myth's key words that makes a sentence restate it
QUESTION_FIRST_CHANNELS = frozenset({"faq"})  # the FAQ's question comes before its main message
REPEAT_RUN = 3  # the same word this many times in a row is a stuck model, not emphasis
REPEAT_PHRASE = 3  # the same three-word phrase this many times, likewise
_WORD_RUNS = re.compile(r"[^\W_]+")  # words; an underscore splits them ("text_here_here")
_LINK = re.compile(r"https?://\S+|\b[\w.-]+\.[a-z]{2,}/\S*", re.IGNORECASE)
_RESIDUE = re.compile(
    r"[^\W\d_]+_[^\W\d_]+"  # snake_case tokens ("text_here")
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
    myth: str | None = None
    topic_keywords: tuple[str, ...] = ()

    @property
    def is_sms(self) -> bool:
        """Whether length is judged in SMS segments."""
        return self.channel == "sms" if self.sms is None else self.sms


@dataclass(frozen=True)
class _Message:
    text: str
    sentences: list[str]
    lexicon: Lexicon
    ctx: LintContext


def _item(
    item_id: str, passed: bool, reason: str, severity: Severity = "warning", scored: bool = True
) -> LintItem:
    points = 1 if scored and passed else 0
    return LintItem(
        id=item_id, passed=passed, severity=severity, reason=reason,
        points=points, max_points=1 if scored else 0,
    )  # fmt: skip


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


def _main_index(m: _Message) -> int:
    """Index of the sentence that should carry the main message."""
    index = 0
    first = m.sentences[0] if m.sentences else ""
    if first.endswith((",", "،")) and _is_greeting(m, first):  # a letter's salutation line
        index = 1
    if m.ctx.channel in QUESTION_FIRST_CHANNELS and index < len(m.sentences):
        index += bool(_QUESTION_END.search(m.sentences[index]))
    return index


def _check_main_message(m: _Message) -> LintItem:
    """The first sentence carries the main message."""
    index = _main_index(m)
    if index >= len(m.sentences):
        return _item("main_message_first", False, "There is no sentence to carry the main message.")
    sentence, label = m.sentences[index], f"Sentence {index + 1}"
    words = len(split_words(sentence))
    problems = []
    if _is_greeting(m, sentence) and words <= GREETING_WORDS:
        problems.append(f'{label} is only a greeting ("{_short(sentence)}")')
    if _QUESTION_END.search(sentence):
        problems.append(f"{label} is a question; open with the answer")
    if words > MAIN_SENTENCE_WORDS:
        problems.append(f"{label} has {words} words; a main message needs at most 25")
    keywords = m.ctx.topic_keywords
    if keywords and not any(k.lower() in sentence.lower() for k in keywords):
        problems.append(f"{label} does not name the topic (none of: {', '.join(keywords)})")
    if problems:
        return _item("main_message_first", False, "; ".join(problems) + ".")
    return _item(
        "main_message_first", True, f'{label} carries the main message: "{_short(sentence)}".'
    )


def has_call_to_action(text: str, language: str) -> bool:
    """Whether the text has a call-to-action cue of the language's lexicon."""
    lexicon = load_lexicon(language)
    return bool(find_terms(text, lexicon.call_to_action, lexicon.prefixes))


def _check_well_formed(m: _Message) -> LintItem:
    """No word or phrase stuck on repeat, no markup or unfilled placeholder left in the text."""
    problems = []
    words = [w.lower() for w in _WORD_RUNS.findall(m.text)]
    run, word = _longest_run(words)
    if run >= REPEAT_RUN:
        problems.append(f'"{word}" comes {run} times in a row')
    phrases = Counter(zip(words, words[1:], words[2:], strict=False))
    if phrases:
        phrase, count = phrases.most_common(1)[0]
        if count >= REPEAT_PHRASE:
            problems.append(f'the phrase "{" ".join(phrase)}" comes {count} times')
    residue = _RESIDUE.findall(_LINK.sub(" ", m.text))
    if residue:
        problems.append(f"markup or a placeholder is left in the text ({_quote(residue[:3])})")
    controls = [c for c in m.text if is_control(c)]
    if controls:
        codes = ", ".join(f"U+{ord(c):04X}" for c in controls[:3])
        problems.append(f"the text holds {len(controls)} invisible control character(s) ({codes})")
    if problems:
        reason = "; ".join(problems)
        return _item("well_formed", False, reason[0].upper() + reason[1:] + ".", "error")
    return _item("well_formed", True, "No repetition, markup or placeholder left.", "error")


def _longest_run(words: list[str]) -> tuple[int, str]:
    best, best_word, run = 0, "", 0
    for n, word in enumerate(words):
        run = run + 1 if n and words[n - 1] == word else 1
        if run > best:
            best, best_word = run, word
    return best, best_word


def _check_call_to_action(m: _Message) -> LintItem:
    """At least one call-to-action cue."""
    found = _find(m, m.lexicon.call_to_action)
    if found:
        return _item("call_to_action", True, f"Call to action: {_quote(found)}.")
    examples = _quote(list(m.lexicon.call_to_action[:3]))
    return _item(
        "call_to_action", False, f"No call to action; tell readers what to do ({examples})."
    )


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
        return _item("length", passed, reason, "error")
    count = len(m.text)
    reason = f"{count} characters; the {m.ctx.channel} channel allows {m.ctx.max_chars}."
    return _item("length", count <= m.ctx.max_chars, reason, "error")


def _long_sentences(m: _Message, limit: int, name: str) -> list[str]:
    counts = [len(split_words(sentence)) for sentence in m.sentences]
    return [
        f"Sentence {i + 1} has {n} words; {name} allows {limit}"
        for i, n in enumerate(counts)
        if n > limit
    ]


def _clauses(m: _Message) -> list[str]:
    """Sentences with a comma before a subordinating word, or with a semicolon."""
    found = []
    for i, sentence in enumerate(m.sentences):
        heads = [part.split()[0] for part in re.split(r"[,;]", sentence)[1:] if part.split()]
        markers = [head for head in heads if find_terms(head, m.lexicon.clause_markers)]
        if markers or ";" in sentence:
            where = f'", {markers[0]}"' if markers else '";"'
            found.append(f"Sentence {i + 1} has more than one statement ({where})")
    return found


def _plain_language_items(m: _Message) -> list[LintItem]:
    limit, name = SENTENCE_LIMITS[m.ctx.language]
    problems = _long_sentences(m, limit, name)
    if m.ctx.language == "de-leicht":
        problems += _clauses(m)
    rule = f"every sentence has at most {limit} words" + (
        ", one statement each" if m.ctx.language == "de-leicht" else ""
    )
    reason = "; ".join(problems) + "." if problems else f"{name}: {rule}."
    items = [_item("readability", not problems, reason, "error")]
    if m.ctx.language == "de-leicht":
        note = "Leichte Sprache must be checked by a test reader from the target group before use."
        items.append(_item("needs_test_reader", False, note, scored=False))
    return items


def _check_readability(m: _Message) -> list[LintItem]:
    """A readability formula against the audience grade, or the sentence rules of the language."""
    if m.ctx.language in SENTENCE_LIMITS:
        return _plain_language_items(m)
    if m.ctx.language in ("de", "en"):
        found = measure_readability(m.sentences, m.ctx.language)
        top = m.ctx.grade + GRADE_TOLERANCE
        ease = "Flesch-Amstad" if m.ctx.language == "de" else "Flesch reading ease"
        reason = (
            f"{found.formula} {found.grade:g} ({ease} {found.reading_ease:g}); the audience reads "
            f"at grade {m.ctx.grade}, up to {top} accepted."
        )
        return [_item("readability", found.grade <= top, reason)]
    counts = [len(split_words(sentence)) for sentence in m.sentences] or [0]
    average = sum(counts) / len(counts)
    reason = f"Sentences average {average:.1f} words; at most {AVERAGE_WORDS} allowed."
    return [_item("readability", average <= AVERAGE_WORDS, reason)]


def _check_jargon(m: _Message) -> LintItem:
    """Technical terms from the lexicon, each with its plain alternative."""
    hits = []
    for entry in m.lexicon.jargon:
        found = _find(m, (entry.term,))
        if found:
            hits.append(f'"{found[0]}" → say "{entry.plain}"')
    if hits:
        return _item("jargon", False, "Jargon: " + "; ".join(hits) + ".")
    return _item("jargon", True, "No jargon from the lexicon.")


def _check_tone(m: _Message) -> LintItem:
    """No fear, urgency, pressure or stigma words."""
    lexicon, hits = m.lexicon, []
    for category in ("fear", "urgency", "pressure", "stigma"):
        found = _find(m, getattr(lexicon, category))
        if found:
            hits.append(f"{category}: {_quote(found)}")
    if hits:
        return _item("tone", False, "Avoid " + "; ".join(hits) + ".")
    return _item("tone", True, "No fear, urgency, pressure or stigma words.")


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
            return _item("fact_sandwich", True, "No myth is addressed.", scored=False)
        return _item("fact_sandwich", True, "The myth is not repeated; the message states facts.")
    label = ", ".join(str(i + 1) for i in myths)
    problems = []
    if myths[0] == start:
        problems.append(f"Sentence {start + 1} states the myth; open with the fact")
    if len(myths) > 1:
        problems.append(f"the myth appears in sentences {label}; mention it once")
    if not any(i not in myths for i, _ in body if i > myths[-1]):
        problems.append(f"no fact follows the myth in sentence {myths[-1] + 1}")
    if problems:
        reason = "; ".join(problems)
        return _item("fact_sandwich", False, reason[0].upper() + reason[1:] + ".")
    return _item("fact_sandwich", True, f"Fact, myth (sentence {label}), fact.")


def _check_natural_frequencies(m: _Message) -> LintItem:
    """Percentages are flagged; "1 in 1,000" style numbers pass."""
    found = [match.group() for match in _PERCENT.finditer(m.text)]
    found += _find(m, m.lexicon.percent_words)
    if found:
        advice = f'use natural frequencies such as "{m.lexicon.frequency_example}"'
        return _item("natural_frequencies", False, f"Percentages: {_quote(found)}; {advice}.")
    if not find_numbers(m.text):
        return _item("natural_frequencies", True, "No numbers or percentages.", scored=False)
    return _item("natural_frequencies", True, "Numbers are given without percentages.")


def _check_numbers(m: _Message) -> LintItem:
    """Every number appears in the fact sheet or a cited passage."""
    numbers = find_numbers(m.text)
    if not numbers:
        return _item("numbers_grounded", True, "No numbers in the message.", "error", scored=False)
    missing = find_ungrounded(m.text, m.ctx.allowed_numbers)
    if missing:
        reason = f"Not in the fact sheet or a cited passage: {', '.join(missing)}."
        return _item("numbers_grounded", False, reason, "error")
    return _item("numbers_grounded", True, f"Grounded: {_plural(len(numbers), 'number')}.", "error")


def _check_citations(m: _Message) -> LintItem:
    """At least one citation, and every citation valid."""
    if m.ctx.citations == 0:
        return _item("citations", False, "No citation; cite at least one passage.", "error")
    if not m.ctx.citations_valid:
        reason = "A citation number does not match a retrieved passage."
        return _item("citations", False, reason, "error")
    return _item("citations", True, f"{_plural(m.ctx.citations, 'citation')}, all valid.", "error")


def _check_language(m: _Message) -> LintItem:
    """The detected language is the requested one (German for Einfache/Leichte Sprache)."""
    from knowledge.language import detect_language  # lingua is heavy: load on first use

    wanted, found = base_language(m.ctx.language), detect_language(m.text)
    size = len(m.text.strip())
    severity: Severity = "warning" if size < MIN_DETECT_CHARS else "error"
    if found == wanted:
        return _item("language", True, f'Detected "{found}" as requested.', severity)
    reason = f'Detected "{found}"; expected "{wanted}".'
    if severity == "warning":
        reason += f" The text is short ({size} characters), so detection is unsure."
    return _item("language", False, reason, severity)


CHECKS: tuple[Callable[[_Message], LintItem | list[LintItem]], ...] = (
    _check_well_formed, _check_main_message, _check_call_to_action, _check_length,
    _check_readability, _check_jargon, _check_tone, _check_fact_sandwich,
    _check_natural_frequencies, _check_numbers, _check_citations, _check_language,
)  # fmt: skip


def score_items(items: list[LintItem]) -> int:
    """Points earned as a rounded percentage of points possible (100 when nothing is scored)."""
    possible = sum(item.max_points for item in items)
    return round(100 * sum(item.points for item in items) / possible) if possible else 100


def lint(text: str, ctx: LintContext) -> LintReport:
    """Run every check on `text` and score the result."""
    lexicon = load_lexicon(ctx.language)
    message = _Message(text, split_sentences(text, ctx.language), lexicon, ctx)
    items: list[LintItem] = []
    for check in CHECKS:
        result = check(message)
        items.extend(result if isinstance(result, list) else [result])
    return LintReport(items=tuple(items), score=score_items(items))
