"""Every sentence accounted for: each sentence of a message says something the office approved
(a key message, fact or question of the topic's map, a passage the message cites, a sentence of
the composed draft), or is logistics built from the fact sheet, or a frame of the catalogue
(greeting, sign-off, invitation). Anything else is refused, sentence by sentence.

A sentence matches an approved statement by meaning (embedding similarity) *and* by agreement:
the same numbers with the same units, the same negation, no claim of frequency, duration or
certainty the statement does not make, and most of its content words found in the statement.
Embeddings find paraphrases; agreement tells "einmal" from "jedes Jahr" (docs/checks.md).
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from comms.checks.lexicon import base_language, find_terms, normalise_text
from comms.checks.numbers import find_numbers, normalise_number, spelled_numbers
from comms.checks.sentences import split_sentences
from comms.checks.similarity import Embed, cosine_matrix, embedded
from comms.checks.sms import to_gsm
from comms.report import SentenceVerdict
from core.errors import ConfigError
from core.settings import PROJECT_ROOT

MEANING = PROJECT_ROOT / "catalog" / "meaning.yaml"
# Cosine similarity (all-MiniLM-L6-v2) from which a sentence may be the statement reworded;
# from CLOSE on, fewer of its content words need to be the statement's (docs/checks.md).
SIMILAR = 0.62
# A question to the reader ("Is your child between 9 and 14?") states nothing: its words and
# numbers must still be the statement's, its wording may be further from it.
SIMILAR_QUESTION = 0.5
SIMILAR_PAIR = 0.5  # the further of two statements a sentence joins (_group_score)
CLOSE = 0.8
COVERAGE = 0.75  # share of content words found in the statement (and the shared vocabulary)
COVERAGE_CLOSE = 0.6
LEXICAL_ONLY_COVERAGE = 0.85  # without an embedder, the words alone must carry the match
RECALL = 0.5  # share of the statement's content words a sentence backed by it carries
RECALL_EACH = 0.34  # the same, of each statement, for a sentence backed by two
CANDIDATES = 4  # the closest statements tried, one by one and the best two together
WORD_ZIPF = 6.0  # capitals this frequent as a word are the word ("I"), not a code ("B")
MIN_CONTENT = 3  # a content word has at least this many letters
SHORT_LINE = 3  # a line of at most this many function words and no fact is a salutation
_LETTERS = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_LINK = re.compile(r"(?:https?://)?[\w.-]+\.[a-z]{2,}(?:/[^\s]*)?", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"\{\s*[a-z_]+\s*\}")
_CODES = re.compile(r"(?<![\w-])[A-Z]{1,2}(?![\w-])")  # "Meningokokken B", not "MMR-Impfung"
_TOKENS = re.compile(r"[^\W_]+(?:[.,:'][^\W_]+)*")


class MeaningWords(BaseModel):
    """One language's entries of catalog/meaning.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    negations: tuple[str, ...]
    claims: tuple[str, ...]
    units: tuple[str, ...]
    numbers: dict[str, str]
    logistics: tuple[str, ...]
    frames: tuple[str, ...]
    joins: tuple[str, ...] = ("; ", ": ")
    answers: tuple[str, ...] = ()
    against: tuple[str, ...] = ()  # "against COVID-19": what a vaccine protects from follows
    against_after: tuple[str, ...] = ()  # "COVID-19'a karşı": it comes before the word


@lru_cache(maxsize=1)
def _catalogue() -> dict[str, MeaningWords]:
    try:
        raw = yaml.safe_load(MEANING.read_text(encoding="utf-8"))
        return {lang: MeaningWords.model_validate(words) for lang, words in raw.items()}
    except (OSError, yaml.YAMLError, ValidationError, AttributeError) as exc:
        raise ConfigError(f"catalog/meaning.yaml is invalid: {exc}") from exc


def meaning_words(language: str) -> MeaningWords:
    """The negations, claims, units, number words and frames of a language id."""
    found = _catalogue().get(base_language(language))
    if found is None:
        raise ConfigError(f"catalog/meaning.yaml has no entry for '{language}'.")
    return found


@dataclass(frozen=True)
class Span:
    """A sentence and where it stands in the text."""

    start: int
    end: int
    text: str


def value_forms(values: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Fact values as a message may carry them: as written, and in GSM-7 (an SMS writes
    "14-18 Uhr" for "14–18 Uhr"); longest first, so a value is taken out before its parts."""
    forms = {form for v in values if v for form in (v, to_gsm(v))}
    return tuple(sorted(forms, key=len, reverse=True))


def _masked(text: str, keep: tuple[str, ...]) -> str:
    """The text with each kept value replaced by letters of the same length, so that no full
    stop inside a value ("vom 3. März", "2. Stock") ends a sentence; offsets stay the same."""
    for value in keep:
        text = text.replace(value, "x" * len(value))
    return text


def sentence_spans(text: str, language: str, keep: tuple[str, ...] = ()) -> list[Span]:
    """The sentences of `text` with their offsets, by sentencex (Wikimedia's segmenter); a line
    break always ends a sentence (salutations, headlines and fact lines stand on their own).
    `keep`: values (the fact sheet's) never split."""
    from sentencex import segment

    original, text = text, _masked(text, value_forms(list(keep)))
    spans: list[Span] = []
    offset = 0
    for line in text.split("\n"):
        cursor = 0
        for piece in segment(base_language(language), line):
            at = line.find(piece.strip(), cursor) if piece.strip() else -1
            if at < 0:
                continue
            start, end = offset + at, offset + at + len(piece.strip())
            spans.append(Span(start, end, original[start:end]))
            cursor = at + len(piece.strip())
        offset += len(line) + 1
    return [s for s in spans if _LETTERS.search(s.text) or find_numbers(s.text)]


@dataclass(frozen=True)
class Statement:
    """Something the office approved; `kind` is map, question, draft, passage, frame or myth."""

    text: str
    kind: str


@dataclass(frozen=True)
class Support:
    """What a message's sentences may rest on."""

    language: str
    statements: tuple[Statement, ...]
    fact_values: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()  # the fact sheet's labels in the message language ("Wann")
    vocabulary: tuple[str, ...] = ()  # names any sentence may use: topic, body, office, audience
    other_topics: tuple[str, ...] = ()  # keywords of the catalogue's other topics
    myth_markers: tuple[str, ...] = ()
    stopwords: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class _Parsed:
    """A sentence or statement reduced to what its meaning is checked on."""

    content: tuple[str, ...]
    numbers: frozenset[tuple[str, str]]  # (number, unit stem or "")
    negated: bool
    claims: frozenset[str]
    codes: frozenset[str] = frozenset()  # capital codes ("B", "C"): named exactly or not at all
    order: tuple[str, ...] = ()  # its numbers in the order they stand


def _stem(word: str) -> str:
    return word[: max(4, len(word) - 3)]


def _covered(word: str, vocabulary: set[str]) -> bool:
    """A word is covered when a known word shares its stem, or is a part of it (compounds:
    "Masernimpfung" has "masern" and "impfung")."""
    stem = _stem(word)
    return any(
        v.startswith(stem) or word.startswith(_stem(v)) or (len(v) >= 5 and v in word)
        for v in vocabulary
    )


def _words(text: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in _LETTERS.findall(normalise_text(text))]


@lru_cache(maxsize=64)
def _reader(language: str, stopwords: frozenset[str]) -> _Reader:
    return _Reader(language, stopwords)


class _Reader:
    """Parses the sentences and statements of one language; a statement is parsed once."""

    def __init__(self, language: str, stopwords: frozenset[str]) -> None:
        self.language = language
        self.words = meaning_words(language)
        self.claims = [tuple(w.strip() for w in line.split(" | ")) for line in self.words.claims]
        # a one-word claim is content ("sicher", "only"); the words of a longer one ("ein
        # leben lang") are found as the claim and may stay function words
        claim_words = {way for ways in self.claims for way in ways
                       if " " not in way and "*" not in way}  # fmt: skip
        self.skip = stopwords - claim_words - set(self.words.negations)
        self.parse = lru_cache(maxsize=20000)(self._parse)  # type: ignore[method-assign]

    def shared_words(self, support: Support) -> set[str]:
        """Words any sentence may use: names, labels, and the words of the frames."""
        shared = set(self.vocab(" ".join([*support.vocabulary, *support.labels])))
        for frame in (s.text for s in support.statements if s.kind == "frame"):
            shared.update(self.vocab(frame))
        return shared

    def vocab(self, text: str) -> list[str]:
        """Content words: not stop words, of MIN_CONTENT letters or more; a capital code of
        any length counts too ("B" in "Meningokokken B", "ACWY")."""
        codes = [w.lower() for w in _CODES.findall(text) if not self.is_word(w)]
        words = [w for w in _words(text) if len(w) >= MIN_CONTENT and w not in self.skip]
        return words + [c for c in codes if c not in words]

    def _parse(self, text: str) -> _Parsed:
        plain = self.unanswered(_PLACEHOLDER.sub(" ", text))
        negations = find_terms(plain, self.words.negations)
        claims = frozenset(
            ways[0] for ways in self.claims if find_terms(plain, ways)
        )  # each claim named by its first way of saying it
        numbers = frozenset(self.numbers(plain))
        return _Parsed(
            content=tuple(dict.fromkeys(self.vocab(plain))),
            numbers=numbers,
            negated=bool(negations),
            claims=claims,
            codes=frozenset(c.lower() for c in _CODES.findall(plain) if not self.is_word(c)),
            order=self.order(plain, numbers),
        )

    def is_word(self, code: str) -> bool:
        """Whether capitals are a common word of the language, not a code ("I", "A", "O")."""
        from wordfreq import zipf_frequency

        return zipf_frequency(code.lower(), base_language(self.language)) >= WORD_ZIPF

    def unanswered(self, text: str) -> str:
        """The text without a leading answer word ("Nein, Sie bekommen sie nur einmal."): it
        answers a question, it does not turn the statement round."""
        for word in self.words.answers:
            match = re.match(rf"\s*{re.escape(word)}\s*[,!.:–-]\s*", text, flags=re.I)
            if match:
                return text[match.end() :]
        return text

    def clauses(self, text: str) -> list[str]:
        """The main clauses of a sentence joined by "; ", ": " or a comma and a coordinating
        word (", and", ", denn"): each is a statement of its own."""
        pattern = "|".join(re.escape(j) for j in sorted(self.words.joins, key=len, reverse=True))
        if not pattern:
            return [text]
        parts = [p.strip(" ,;:–-") for p in re.split(f"(?:{pattern})", text, flags=re.I)]
        return [p for p in parts if _LETTERS.search(p)]

    def numbers(self, text: str) -> set[tuple[str, str]]:
        found: set[tuple[str, str]] = set()
        for raw in find_numbers(text):
            at = text.find(raw)
            after = _words(text[at + len(raw) : at + len(raw) + 24])[:1]
            unit = after[0] if after and find_terms(after[0], self.words.units) else ""
            found.add((normalise_number(raw), _stem(unit) if unit else ""))
        digits = {n for n, _ in found}
        found.update(x for x in self.spelled(text) if x[0] not in digits)
        return found

    def order(self, text: str, numbers: frozenset[tuple[str, str]]) -> tuple[str, ...]:
        """The text's numbers (digits or words) in the order they stand."""
        mine = {n for n, _ in numbers}
        found = []
        for token in _TOKENS.findall(normalise_text(text).lower()):
            if token[0].isdigit():
                number = normalise_number(token)
            else:
                number = next(iter(spelled_numbers(token)), "")
            if number in mine:
                found.append(number)
        return tuple(found)

    def spelled(self, text: str) -> set[tuple[str, str]]:
        """Numbers written as words, with the unit that follows ("two doses", "one dose").
        "ein"/"eine" is an article as often as a number and counts only as the English "one"
        before a unit; "einmal"/"once" are claims."""
        words = _words(text)
        lowered = " ".join(words)
        found: set[tuple[str, str]] = set()
        for at, word in enumerate(words):
            digit = spelled_numbers(word)
            if not digit:
                continue
            after = words[at + 1] if at + 1 < len(words) else ""
            unit = _stem(after) if after and find_terms(after, self.words.units) else ""
            number = next(iter(digit))
            if number != "1" or (word == "one" and unit):
                found.add((number, unit))
        found.update((d, "") for w, d in self.words.numbers.items() if f" {w} " in f" {lowered} ")
        return found


@dataclass(frozen=True)
class Verdict:
    """Why a sentence is accounted for, or why not."""

    supported: bool
    rule: str  # "" when supported; else the supported.* class
    reason: str
    args: dict[str, str] = field(default_factory=dict)
    origin: str = ""  # the kind of what backs it


def _strip_facts(sentence: str, support: Support, values: tuple[str, ...]) -> str:
    """The sentence without fact-sheet values (`values`: their forms, from value_forms),
    links and fact labels: the office's data."""
    for value in values:
        sentence = sentence.replace(value, " ")
    sentence = _LINK.sub(" ", sentence)
    for label in support.labels:
        sentence = re.sub(rf"(?<!\w){re.escape(label)}\s*:", " ", sentence, flags=re.I)
    return sentence


@lru_cache(maxsize=20000)
def _norm(text: str) -> str:
    """Words and numbers, lowercase, one space apart: how wording is compared as text."""
    plain = normalise_text(_PLACEHOLDER.sub(" ", text)).lower().replace("’", "'")
    return " ".join(_TOKENS.findall(plain))


class Judge:
    """Accounts for the sentences of one message against one Support."""

    def __init__(self, support: Support, embed: Embed | None) -> None:
        self.support = support
        self.embed = embed
        self.values = value_forms(support.fact_values)  # once, not per sentence
        self.reader = _reader(support.language, support.stopwords)
        self.shared = self.reader.shared_words(support)
        self.statements = [s for s in support.statements if s.text.strip()]
        self.parsed = [self.reader.parse(s.text) for s in self.statements]
        self.normals = [_norm(s.text) for s in self.statements]
        self.approved_words = set(w for p in self.parsed for w in p.content)
        # a myth's own words ("Autismus"): a sentence that says one its backing does not have,
        # without denying it or calling it a myth, speaks the myth
        self.myth_words = {w for st, p in zip(self.statements, self.parsed, strict=True)
                           if st.kind == "myth" for w in p.content
                           if not _covered(w, self.shared)}  # fmt: skip

    def verdicts(self, sentences: list[str]) -> list[Verdict]:
        """One verdict per sentence, in order. A sentence the segmenter left whole where the
        house splitter sees two ("…any age ill. Flu is…": "ill." read as an abbreviation) is
        accounted for when each of its parts is."""
        found = self._batch(sentences)
        for n, verdict in enumerate(found):
            if verdict.supported:
                continue
            for parts in (split_sentences(sentences[n], self.support.language),
                          self.reader.clauses(sentences[n])):  # fmt: skip
                split = self._batch(parts) if len(parts) > 1 else []
                if split and all(v.supported for v in split):
                    found[n] = split[0]
                    break
        return found

    def _batch(self, sentences: list[str]) -> list[Verdict]:
        """Verdicts; the embedder runs only for sentences that are not approved wording,
        logistics or another topic's (a composed message needs none)."""
        found = [self._plain(s) for s in sentences]
        open_ = [n for n, verdict in enumerate(found) if verdict is None]
        similar: list[list[float]] = []
        if open_ and self.embed is not None and self.statements:
            texts = [s.text for s in self.statements] + [sentences[n] for n in open_]
            vectors = embedded(texts, self.embed)
            # every open sentence against every statement: one matrix product
            count = len(self.statements)
            similar = cosine_matrix(vectors[count:], vectors[:count]).tolist()
        for at, n in enumerate(open_):
            found[n] = self._matched(sentences[n], similar[at] if similar else None)
        return [v for v in found if v is not None]

    def _plain(self, sentence: str) -> Verdict | None:
        """The verdict that needs no embedding, or None."""
        bare = _strip_facts(sentence, self.support, self.values)
        parsed = self.reader.parse(bare)
        topic = self._other_topic(sentence)
        if topic:
            reason = f"Speaks of another topic ({topic})"
            return Verdict(False, "supported.topic", reason, {"topic": topic})
        normal = _norm(bare)
        asks = _asks(sentence)
        usable = [n for n, st in enumerate(self.statements) if _may_back(st.kind, asks)]
        if normal and any(self.normals[n] == normal for n in usable):
            return Verdict(True, "", "Approved wording.", origin="exact")
        within = [n for n in usable if normal and f" {normal} " in f" {self.normals[n]} "]
        if any(self._agrees(parsed, [n], 1.0).supported for n in within):
            return Verdict(True, "", "Part of an approved wording.", origin="exact")
        if self._logistics(parsed, sentence):
            return Verdict(True, "", "Logistics from the fact sheet.", origin="logistics")
        return None

    def _matched(self, sentence: str, similar: list[float] | None) -> Verdict:
        """The verdict of the closest approved statements by meaning (`similar`: the
        sentence's cosine similarity to each statement; None: no embedder), and their
        agreement."""
        bare = _strip_facts(sentence, self.support, self.values)
        parsed = self.reader.parse(bare)
        scores = similar if similar is not None else self._lexical_scores(bare)
        ranked = self._distinct(sorted(range(len(scores)), key=lambda n: -scores[n]))
        closest = list(ranked)
        if similar is not None:  # and the closest by words: an embedder may read a language badly
            words = self._overlaps(parsed)
            by_words = self._distinct(sorted(range(len(words)), key=lambda n: -words[n]))
            ranked += [n for n in by_words if words[n] > 0 and n not in ranked]
        if parsed.numbers:  # the statements that carry all its numbers, however worded
            numbers = {n for n, _ in parsed.numbers}
            carry = [n for n in range(len(self.parsed)) if n not in ranked
                     and numbers <= {m for m, _ in self.parsed[n].numbers}]  # fmt: skip
            ranked += self._distinct(sorted(carry, key=lambda n: -scores[n]))
        tried: list[Verdict] = []
        if self._contradicts(parsed, closest):
            return Verdict(False, "supported.negation", "Its negation turns the statement round")
        asks = _asks(sentence)
        ranked = [n for n in ranked if asks or self.statements[n].kind != "question"]
        groups = [[n] for n in ranked] + [ranked[:2]] * (len(ranked) >= 2)
        for group in groups + self._pairs(bare, parsed, ranked[:2], scores):
            verdict = self._agrees(parsed, group, _group_score(group, scores), asks)
            if verdict.supported:
                return verdict
            tried.append(verdict)
        specific = [v for v in tried if v.rule != "supported.unbacked"]
        if specific:
            return specific[0]
        return Verdict(False, "supported.unbacked", "Not backed by the map or a cited passage")

    def _distinct(self, order: list[int]) -> list[int]:
        """The first CANDIDATES statements of `order` with different wording (a key message
        is also the draft's sentence: once is enough)."""
        seen: set[str] = set()
        found = []
        for n in order:
            if self.normals[n] not in seen:
                seen.add(self.normals[n])
                found.append(n)
                if len(found) == CANDIDATES:
                    break
        return found

    def _overlaps(self, parsed: _Parsed) -> list[float]:
        """Each statement's share of the sentence's content words (Jaccard)."""
        mine = set(parsed.content)
        return [len(mine & set(p.content)) / max(1, len(mine | set(p.content)))
                for p in self.parsed]  # fmt: skip

    def _pairs(
        self, sentence: str, parsed: _Parsed, firsts: list[int], scores: list[float]
    ) -> list[list[int]]:
        """For each of the closest statements, the one statement that carries most of the
        words it lacks, when those words stand on one side of a comma ("It can be given at
        the same visit as other vaccines, for example at the J1 youth check-up"): a sentence
        may join two approved statements, one on each side. Not for a negated sentence: whose
        negation it is would be unclear (a clause of it is tried alone instead)."""
        pieces = sentence.split(", ")
        if parsed.negated or len(pieces) < 2:
            return []
        sides = [
            set(self.reader.vocab(", ".join(part)))
            for at in range(1, len(pieces))
            for part in (pieces[:at], pieces[at:])
        ]
        pairs = []
        for first in firsts:
            known = set(self.parsed[first].content) | self.shared
            lacking = [w for w in parsed.content if not _covered(w, known)]
            if not lacking or not any(set(lacking) <= side for side in sides):
                continue
            gains = [
                (sum(_covered(w, set(p.content)) for w in lacking), scores[n])
                for n, p in enumerate(self.parsed)
            ]
            best = max((n for n in range(len(gains)) if n != first), key=lambda n: gains[n])
            if gains[best][0] > 0 and [first, best] not in pairs:
                pairs.append([first, best])
        return pairs

    def _contradicts(self, parsed: _Parsed, ranked: list[int]) -> bool:
        """An approved statement that says the same words with the negation the other way
        round ("Die Impfung ersetzt die Vorsorge gegen Krebs nicht.") rules the sentence
        out, whatever else might seem to back it."""
        mine = {w for w in parsed.content if not find_terms(w, self.reader.words.negations)}
        for n in ranked:
            other = self.parsed[n]
            if self.statements[n].kind == "frame":  # a frame states nothing about a vaccine
                continue
            if other.negated == parsed.negated or not mine:
                continue
            words = set(other.content) | self.shared
            if all(_covered(w, words) for w in mine) and _recall(parsed, other) >= RECALL:
                return True
        return False

    def _carries(self, parsed: _Parsed, backing: list[_Parsed], kinds: set[str]) -> bool:
        """A sentence carries enough of what backs it: half of one statement's content words,
        or a third of each of two ("Am besten in den ersten 3 Monaten." takes three words of
        "Babys in den ersten 3 Monaten werden am häufigsten schwer krank." and says another
        thing). Frames and passages are exempt: a sentence may say part of a long passage."""
        if kinds & {"frame", "passage"}:
            return True
        recalls = [_recall(parsed, b) for b in backing]
        return recalls[0] >= RECALL if len(recalls) == 1 else min(recalls) >= RECALL_EACH

    def _other_topic(self, sentence: str) -> str:
        """Another topic's name the approved statements never use; or one they use, which
        the sentence says the vaccine protects against and no approved statement does ("The
        flu vaccine also protects you against COVID-19" beside "…at the same visit as the
        flu vaccine")."""
        found = find_terms(sentence, self.support.other_topics)
        approved = " ".join(self.normals)
        unknown = next((t for t in found if _norm(t) not in approved), "")
        if unknown:
            return unknown
        words = self.reader.words
        for term in found:
            if _guarded(_norm(sentence), _norm(term), words) and not any(
                _guarded(n, _norm(term), words) for n in self.normals
            ):
                return term
        return ""

    def _logistics(self, parsed: _Parsed, sentence: str) -> bool:
        """Fact-sheet values and labels with at most frame words around them: "Termin: …",
        "Kommen Sie am {when} ins {where}". No claim, number or negation of its own."""
        if parsed.claims or parsed.negated or parsed.numbers:
            return False
        has_fact = any(v in sentence for v in self.values) or bool(_LINK.search(sentence))
        if not has_fact:  # a short line of function words only ("Guten Tag,"), or nothing
            return not parsed.content and len(_words(sentence)) <= SHORT_LINE
        logistics = self.reader.words.logistics
        unknown = [w for w in parsed.content
                   if not _covered(w, self.shared) and not find_terms(w, logistics)]  # fmt: skip
        return len(unknown) <= (1 if len(parsed.content) > 2 else 0)

    def _lexical_scores(self, sentence: str) -> list[float]:
        """Without an embedder: each statement's share of the sentence's words (Jaccard)."""
        mine = set(self.reader.vocab(sentence))
        return [
            len(mine & set(p.content)) / max(1, len(mine | set(p.content))) for p in self.parsed
        ]

    def _agrees(
        self, parsed: _Parsed, group: list[int], score: float, asks: bool = False
    ) -> Verdict:
        """Whether the sentence says what the statement(s) say: numbers with units, negation,
        claims, content words; and a myth only as a myth."""
        lexical = self.embed is None
        if not lexical and score < (SIMILAR_QUESTION if asks else SIMILAR):
            return Verdict(False, "supported.unbacked", "Not backed by the map or a cited passage")
        kinds = {self.statements[n].kind for n in group}
        backing = [self.parsed[n] for n in group]
        # the fact sheet's values were taken out of the sentence: a number left is the text's own
        numbers = set().union(*(p.numbers for p in backing))
        wrong = [n for n, unit in parsed.numbers if not _number_ok(n, unit, numbers)]
        if wrong:
            reason = f"Its number {wrong[0]} is not the approved statement's"
            return Verdict(False, "supported.number", reason, {"number": wrong[0]})
        astray = _astray(parsed.order, [p.order for p in backing])
        if astray:
            reason = f"Its number {astray} goes with another number in the approved statement"
            return Verdict(False, "supported.number", reason, {"number": astray})
        if any(p.negated != parsed.negated for p in backing):  # one negation, said by both
            return Verdict(False, "supported.negation", "Its negation turns the statement round")
        claims = parsed.claims - set().union(*(p.claims for p in backing))
        if claims and not (asks and kinds == {"question"}):  # people's own question, reworded
            claim = max(sorted(claims), key=len)  # "jedes jahr" rather than "alle" in it
            reason = f'It claims "{claim}", which the approved statement does not'
            return Verdict(False, "supported.claim", reason, {"claim": claim})
        vocabulary = self.shared | {w for p in backing for w in p.content}
        codes = parsed.codes - set().union(*(p.codes for p in backing)) - self.shared
        if codes:
            reason = f"Names {sorted(codes)[0].upper()}, which the approved statement does not"
            return Verdict(False, "supported.unbacked", reason, {"words": ", ".join(codes)})
        content = parsed.content
        covered = sum(_covered(w, vocabulary) for w in content)
        need = (
            LEXICAL_ONLY_COVERAGE if lexical else (COVERAGE_CLOSE if score >= CLOSE else COVERAGE)
        )
        if content and covered < math.ceil(need * len(content) - 1e-9):
            missing = [w for w in content if not _covered(w, vocabulary)]
            reason = "Not backed by the map or a cited passage"
            return Verdict(False, "supported.unbacked", reason, {"words": ", ".join(missing[:4])})
        if not asks and not self._carries(parsed, backing, kinds):  # a question asks
            reason = "Takes words of an approved statement but not what it says"
            return Verdict(False, "supported.unbacked", reason)
        mythic = not parsed.negated and any(
            _covered(w, self.myth_words) and not _covered(w, vocabulary) for w in content
        )
        if ("myth" in kinds or mythic) and not find_terms(
            " ".join(content), self.support.myth_markers
        ):
            return Verdict(False, "supported.myth", "States the myth as if it were true")
        return Verdict(True, "", "Backed by an approved statement.", origin="+".join(sorted(kinds)))


def _group_score(group: list[int], scores: list[float]) -> float:
    """How close a sentence is to a group: to one statement, its score; to two, just similar
    enough when the closer one is and the other is within SIMILAR_PAIR (a sentence that
    joins two statements is only half like each: "…at the same visit as other vaccines, for
    example at the J1 youth check-up at age 12 to 14"), never close (COVERAGE_CLOSE)."""
    if len(group) == 1:
        return scores[group[0]]
    low, high = min(scores[n] for n in group), max(scores[n] for n in group)
    return min(high, SIMILAR) if low >= SIMILAR_PAIR else low


NUMBER_COMPANY = 2  # how far apart two numbers side by side in a sentence may be in its statement


def _astray(mine: tuple[str, ...], orders: list[tuple[str, ...]]) -> str:
    """The first number of a sentence that stands beside another number than in its
    statements ("after one dose, 97 in 100" from "after one dose 93 in 100, after two 97 in
    100"), or "". Two numbers no one statement has both of come from two statements."""
    for first, second in itertools.pairwise(mine):
        near = False
        both = False
        for theirs in orders:
            at = [i for i, n in enumerate(theirs) if n == first]
            to = [j for j, n in enumerate(theirs) if n == second]
            both = both or bool(at and to)
            near = near or any(abs(i - j) <= NUMBER_COMPANY for i in at for j in to)
        if first != second and both and not near:
            return second
    return ""


AGAINST_WINDOW = 2  # words between "against" and what it names ("against the COVID-19")


def _guarded(normal: str, term: str, words: MeaningWords) -> bool:
    """Whether a normalised text names `term` as what something protects against."""
    tokens, named = normal.split(), term.split()
    for at in range(len(tokens) - len(named) + 1):
        if tokens[at : at + len(named)] != named:
            continue
        before = " ".join(tokens[max(0, at - AGAINST_WINDOW - 1) : at])
        after = " ".join(tokens[at + len(named) : at + len(named) + AGAINST_WINDOW + 1])
        if any(f" {m} " in f" {before} " for m in words.against) or any(
            f" {m} " in f" {after} " for m in words.against_after
        ):
            return True
    return False


def _asks(sentence: str) -> bool:
    return sentence.rstrip("“”»«\"' )").endswith(("?", "؟"))


def _may_back(kind: str, asks: bool) -> bool:
    """Whether a statement may back a sentence word for word: a question of the map only a
    question, a myth never (by meaning it is tried, and then needs a myth marker)."""
    return kind != "myth" and (asks or kind != "question")


def _recall(parsed: _Parsed, statement: _Parsed) -> float:
    """The share of the statement's content words the sentence carries."""
    if not statement.content:
        return 1.0
    mine = set(parsed.content)
    return sum(_covered(w, mine) for w in statement.content) / len(statement.content)


def _number_ok(number: str, unit: str, allowed: set[tuple[str, str]]) -> bool:
    """A number is approved when the statement has it with the same unit (or either has none)."""
    return any(n == number and (not unit or not u or u == unit) for n, u in allowed)


def refused_sentences(
    text: str, support: Support, embed: Embed | None, spans: list[Span] | None = None
) -> tuple[list[Span], list[Verdict]]:
    """Every sentence of `text` and its verdict."""
    spans = sentence_spans(text, support.language) if spans is None else spans
    return spans, Judge(support, embed).verdicts([s.text for s in spans])


def sentence_verdict(span: Span, verdict: Verdict, check: str = "supported") -> SentenceVerdict:
    """A refused sentence as the report carries it."""
    return SentenceVerdict(
        start=span.start, end=span.end, text=span.text, check=check, rule=verdict.rule,
        reason=verdict.reason, reason_key=verdict.rule, reason_args=verdict.args,
    )  # fmt: skip
