"""Never-say rules: classes of statements a vaccination message must never make, kept as data.

catalog/never_say.yaml holds the rules, like a linter's: a code, a name and a message in
German and English, and per language the patterns that find the statement, with examples that
must match (`bad`) and near-misses that must not (`good`). docs/checks.md describes the format.
A sentence that says what one of the office's approved texts says is not held against a message.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from comms.checks.fidelity import carried_terms, key_terms
from comms.checks.lexicon import normalise_text
from comms.checks.numbers import find_numbers, normalise_number
from comms.report import LintItem, SentenceVerdict
from core.catalog import base_language
from core.errors import ConfigError
from core.settings import PROJECT_ROOT

NEVER_SAY = PROJECT_ROOT / "catalog" / "never_say.yaml"
CHECK_ID = "never_say"
Language = Literal["de", "en", "tr", "ar", "uk", "ru"]
# A sentence says what an approved text says when that text carries this share of the
# sentence's key terms (as fidelity counts them) and all of its numbers.
APPROVED_SHARE = 0.6
MAX_FOUND = 60  # characters of the matched words shown in a reason
MAX_SPANS = 50  # matches per part of an `all` pattern that are tried against each other
_CODE = re.compile(r"^[a-z][a-z0-9_]*$")
_REF = re.compile(r"\{([A-Za-z][A-Za-z0-9_]*)\}")
_WORD = re.compile(r"\w+")
# Up to N words of any kind: {W1} … {W8} ("nicht {W2} zum Arzt").
BUILTIN = {f"W{n}": rf"(?:[\w'-]+\s+){{0,{n}}}?" for n in range(1, 9)}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Texts(_Strict):
    """A text in German and in English."""

    de: str = Field(min_length=1)
    en: str = Field(min_length=1)


class AllOf(_Strict):
    """Every part matches the sentence, in any order, within `within` words."""

    all: tuple[str, ...] = Field(min_length=2)
    within: int = Field(default=10, ge=1)


Pattern = str | AllOf


class LanguageRule(_Strict):
    """One rule in one language: what finds it, what cancels it, and its examples."""

    patterns: tuple[Pattern, ...] = Field(min_length=1)
    unless: tuple[str, ...] = ()  # a sentence matching one of these is not a hit
    bad: tuple[str, ...] = Field(min_length=1)  # sentences that must match
    good: tuple[str, ...] = Field(min_length=1)  # near-misses that must not match


class Rule(_Strict):
    """One class of statement a message must never make."""

    code: str
    name: Texts
    message: Texts  # completes "Sentence 2 …": "says there is no need to see a doctor"
    # sentence: a hit is approved when an approved text says the same (see `approved_hit`);
    # rule: when any approved text makes this kind of statement, the message may make it too.
    approved: Literal["sentence", "rule"] = "sentence"
    languages: dict[Language, LanguageRule] = Field(min_length=1)

    @field_validator("code")
    @classmethod
    def _code(cls, code: str) -> str:
        if not _CODE.match(code):
            raise ValueError(f"code {code!r} must be lowercase letters, digits and _")
        return code


class Catalogue(_Strict):
    """The whole file: shared pieces of patterns, denial frames, and the rules."""

    shared: dict[Language, dict[str, str]] = {}
    denials: dict[Language, tuple[str, ...]] = {}
    rules: tuple[Rule, ...] = Field(min_length=1)


@dataclass(frozen=True)
class Hit:
    """A rule that found its statement in a text, and the words it found."""

    code: str
    found: str


@dataclass(frozen=True)
class _Part:
    regexes: tuple[re.Pattern[str], ...]
    within: int | None  # None: a single regex


@dataclass(frozen=True)
class CompiledRule:
    """A rule's patterns for one base language, compiled once."""

    rule: Rule
    language: str
    parts: tuple[_Part, ...]
    unless: tuple[re.Pattern[str], ...]

    @property
    def code(self) -> str:
        """The rule's code."""
        return self.rule.code

    def find(self, text: str, plain: str | None = None) -> str | None:
        """The words of `text` that make this statement, or None (`plain`: the text already
        normalised)."""
        plain = normalise_text(text) if plain is None else plain
        for part in self.parts:
            found = _search(part, plain)
            if found is not None:
                cancelled = any(regex.search(plain) for regex in self.unless)
                return None if cancelled else " ".join(found.split())
        return None


def _search(part: _Part, text: str) -> str | None:
    if part.within is None:
        match = part.regexes[0].search(text)
        return match.group(0) if match else None
    spans = [
        [m.span() for m in itertools.islice(r.finditer(text), MAX_SPANS)] for r in part.regexes
    ]
    for combo in itertools.product(*spans):
        start, end = min(s for s, _ in combo), max(e for _, e in combo)
        if len(_WORD.findall(text[start:end])) <= part.within:
            return text[start:end]
    return None


def _rule_name(raw: Any, index: int) -> str:
    code = raw.get("code") if isinstance(raw, dict) else None
    return f"rule '{code}'" if code else f"rule {index + 1}"


def _parse(raw: Any, path: Path) -> Catalogue:
    if not isinstance(raw, dict):
        raise ConfigError(f"Never-say rules {path.name}: expected a mapping with `rules`.")
    rules = raw.get("rules")
    if isinstance(rules, list):  # each rule alone, so that an error names the rule
        for index, item in enumerate(rules):
            try:
                Rule.model_validate(item)
            except ValidationError as exc:
                name = _rule_name(item, index)
                raise ConfigError(f"Never-say rules {path.name}, {name}: {exc}") from exc
    try:
        catalogue = Catalogue.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"Never-say rules {path.name} are invalid: {exc}") from exc
    codes = [rule.code for rule in catalogue.rules]
    twice = sorted({code for code in codes if codes.count(code) > 1})
    if twice:
        raise ConfigError(f"Never-say rules {path.name}: codes used twice: {', '.join(twice)}.")
    for rule in catalogue.rules:
        for language in rule.languages:
            _compile(catalogue, rule, language, path)  # a bad pattern fails at load time
    return catalogue


@lru_cache(maxsize=4)
def load_never_say(path: Path = NEVER_SAY) -> Catalogue:
    """The never-say catalogue, validated, with every pattern compiled once to check it."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"Never-say rules {path.name} cannot be read: {exc}") from exc
    return _parse(raw, path)


def never_say_rules(path: Path = NEVER_SAY) -> tuple[Rule, ...]:
    """Every rule of the catalogue, in its order (the order in which a sentence is judged)."""
    return load_never_say(path).rules


def _expand(pattern: str, names: dict[str, str], where: str) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in names:
            raise ConfigError(f"{where}: unknown name {{{name}}} in pattern {pattern!r}.")
        return f"(?:{names[name]})"

    for _ in range(5):  # shared pieces may use each other and the built-in gaps
        if not _REF.search(pattern):
            return pattern
        pattern = _REF.sub(one, pattern)
    raise ConfigError(f"{where}: names in pattern {pattern!r} refer to each other in a loop.")


def _regex(pattern: str, names: dict[str, str], where: str) -> re.Pattern[str]:
    expanded = _expand(normalise_text(pattern), names, where)
    try:
        return re.compile(rf"(?<!\w)(?:{expanded})", re.IGNORECASE)
    except re.error as exc:
        raise ConfigError(f"{where}: pattern {pattern!r} is not a valid regex: {exc}.") from exc


def _compile(catalogue: Catalogue, rule: Rule, language: Language, path: Path) -> CompiledRule:
    where = f"Never-say rules {path.name}, rule '{rule.code}', language {language}"
    names = BUILTIN | catalogue.shared.get(language, {})
    spec = rule.languages[language]
    parts = tuple(
        _Part((_regex(p, names, where),), None)
        if isinstance(p, str)
        else _Part(tuple(_regex(q, names, where) for q in p.all), p.within)
        for p in spec.patterns
    )
    unless = (*spec.unless, *catalogue.denials.get(language, ()))
    return CompiledRule(rule, language, parts, tuple(_regex(u, names, where) for u in unless))


@lru_cache(maxsize=32)
def compiled_rules(language: str, path: Path = NEVER_SAY) -> tuple[CompiledRule, ...]:
    """The rules that have patterns for a language id (de-einfach and de-leicht use de)."""
    catalogue = load_never_say(path)
    lang = base_language(language)
    return tuple(
        _compile(catalogue, rule, lang, path)  # type: ignore[arg-type]
        for rule in catalogue.rules
        if lang in rule.languages
    )


def find_never_say(text: str, language: str, path: Path = NEVER_SAY) -> list[Hit]:
    """Every rule whose statement `text` makes, in catalogue order."""
    hits, plain = [], normalise_text(text)
    for rule in compiled_rules(language, path):
        found = rule.find(text, plain)
        if found is not None:
            hits.append(Hit(rule.code, found))
    return hits


def _fold(text: str) -> str:
    return " ".join(normalise_text(text).casefold().split())


def _says_same(sentence: str, approved: str, language: str) -> bool:
    """Whether an approved text carries the sentence's numbers and most of its key terms."""
    theirs = {normalise_number(n) for n in find_numbers(approved)}
    if any(normalise_number(n) not in theirs for n in find_numbers(sentence)):
        return False
    terms = key_terms(sentence, language)
    carried = carried_terms(approved, terms)
    return bool(terms) and len(carried) >= math.ceil(APPROVED_SHARE * len(terms))


def approved_hit(
    rule: CompiledRule, hit: Hit, sentence: str, approved: tuple[str, ...], language: str
) -> bool:
    """Whether the office approved this statement: its words stand in an approved text, or an
    approved text makes the same kind of statement and carries the sentence's key terms (with
    `approved: rule`, any approved text that makes this kind of statement is enough)."""
    if any(_fold(hit.found) in _fold(text) for text in approved):
        return True
    saying = [text for text in approved if rule.find(text) is not None]
    if rule.rule.approved == "rule":
        return bool(saying)
    return any(_says_same(sentence, text, language) for text in saying)


def _short(text: str) -> str:
    return text if len(text) <= MAX_FOUND else text[: MAX_FOUND - 1] + "…"


def _verdict(n: int, span: tuple[int, int, str], rule: CompiledRule, found: str) -> SentenceVerdict:
    message = rule.rule.message.en
    return SentenceVerdict(
        start=span[0], end=span[1], text=span[2], check=CHECK_ID, rule=f"{CHECK_ID}.{rule.code}",
        reason=f'{message[:1].upper()}{message[1:]} ("{found}").',
        reason_key=f"{CHECK_ID}.{rule.code}", reason_args={"n": str(n), "found": found},
    )  # fmt: skip


def _item_reason(verdicts: list[SentenceVerdict], rules: dict[str, Rule]) -> str:
    parts = [
        f"sentence {v.reason_args['n']} {rules[v.rule.split('.', 1)[1]].message.en} "
        f'("{v.reason_args["found"]}")'
        for v in verdicts
    ]
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "."


def check_never_say(
    sentences: list[tuple[int, int, str]], language: str, approved_texts: tuple[str, ...] = ()
) -> LintItem:
    """Error when a sentence says what a message must never say and no approved text says it.

    `sentences` are (start, end, text) spans of the checked text; each refused sentence comes
    back as a SentenceVerdict with the first rule (in catalogue order) that found it.
    """
    rules = compiled_rules(language)
    if not rules:
        reason = f"No never-say rules for language {language}."
        return LintItem(id=CHECK_ID, passed=True, severity="error", reason=reason, points=0,
                        max_points=0, reason_key="never_say.none",
                        reason_args={"language": language})  # fmt: skip
    verdicts = []
    for n, span in enumerate(sentences, 1):
        plain = normalise_text(span[2])
        for rule in rules:
            found = rule.find(span[2], plain)
            if found is None:
                continue
            if not approved_hit(rule, Hit(rule.code, found), span[2], approved_texts, language):
                verdicts.append(_verdict(n, span, rule, _short(found)))
                break
    if not verdicts:
        reason = f"No sentence says what a message must never say ({len(rules)} rules)."
        return LintItem(id=CHECK_ID, passed=True, severity="error", reason=reason, points=1,
                        max_points=1, reason_key="never_say.ok",
                        reason_args={"rules": str(len(rules))})  # fmt: skip
    reason = _item_reason(verdicts, {rule.code: rule.rule for rule in rules})
    # "never_say.no_doctor.at@2": the template that names the sentence, with "found.2"
    key = "+".join(f"{v.reason_key}.at@{v.reason_args['n']}" for v in verdicts)
    args = {f"found.{v.reason_args['n']}": v.reason_args["found"] for v in verdicts}
    return LintItem(id=CHECK_ID, passed=False, severity="error", reason=reason, points=0,
                    max_points=1, reason_key=key, reason_args=args,
                    sentences=tuple(verdicts))  # fmt: skip
