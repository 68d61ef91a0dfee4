"""Checking a message map: every problem at once, each naming the file, line and field."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import yaml
from pydantic import ValidationError

from comms.checks.numbers import find_numbers, find_ungrounded
from comms.checks.sentences import split_words
from comms.maps.schema import (
    ALL_LANGUAGES,
    MAP_LANGUAGES,
    TARGET_WORDS,
    KeyMessage,
    MapFact,
    MessageMap,
    Texts,
)
from comms.versions import decode_upload
from core.catalog import base_language, load_catalog
from core.database import Location
from core.errors import InputError, file_problems

Path_ = tuple[str | int, ...]
MAX_MAP_BYTES = 300_000  # a map file, uploaded or imported
WORD_SLACK = 1.5  # three key messages over 1.5 × 27 words get a warning, not an error


@dataclass(frozen=True)
class MapProblem:
    """One thing wrong with a map file."""

    file: str
    line: int | None
    field: str
    message: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class InvalidMap(InputError):
    """A map that cannot be used, with every problem found."""

    def __init__(self, name: str, problems: list[MapProblem]) -> None:
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        listed = "; ".join(str(p) for p in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        super().__init__(f"The message map {name} is invalid: {listed}{more}")


def read_map_file(raw: bytes) -> str:
    """The text of an uploaded map file, or an InputError: UTF-8 under MAX_MAP_BYTES."""
    text = decode_upload(raw, MAX_MAP_BYTES)
    if text is None:
        raise InputError(f"A map file must be UTF-8 text under {MAX_MAP_BYTES} bytes.")
    return text


def parse_map(
    text: str, name: str, expected_id: str | None = None, evidence_db: Location | None = None
) -> MessageMap:
    """The map in `text`, or InvalidMap listing every error (warnings do not stop it)."""
    found, problems = check_map(text, name, expected_id, evidence_db)
    if found is None or any(p.severity == "error" for p in problems):
        raise InvalidMap(name, problems)
    return found


def check_map(
    text: str, name: str, expected_id: str | None = None, evidence_db: Location | None = None
) -> tuple[MessageMap | None, list[MapProblem]]:
    """Parse and check a map file: the map (None if it does not parse) and all problems.

    Facts may cite the curated corpus and, given the database (`evidence_db`), any
    source the office ingested there (its newest version)."""
    try:
        node, raw = _load_yaml(text)
    except yaml.YAMLError as exc:
        (bad,) = file_problems(exc)
        return None, [MapProblem(name, bad.line, "", f"not valid YAML ({bad.message})")]
    lines = dict(_node_lines(node, ())) if node is not None else {}
    if not isinstance(raw, dict):
        return None, [MapProblem(name, 1, "", "a map file is a YAML mapping (id, authority, …)")]
    try:
        found = MessageMap.model_validate(raw)
    except ValidationError as exc:
        return None, [
            MapProblem(name, p.line, p.field, p.message) for p in file_problems(exc, lines)
        ]
    documents = _documents(found, evidence_db)
    problems = [MapProblem(name, lines.get(path), _field(path), msg, sev)
                for path, msg, sev in _content_problems(found, expected_id, documents)]  # fmt: skip
    return found, problems


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ten maps in 0.3 s, not 5 s


def _load_yaml(text: str) -> tuple[yaml.Node | None, Any]:
    """The node tree (for line numbers) and the data of one YAML document, parsed once."""
    loader = _LOADER(text)
    try:
        node = loader.get_single_node()
        return node, loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()


def _node_lines(node: yaml.Node, path: Path_) -> Iterator[tuple[Path_, int]]:
    yield path, node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield (*path, key.value), key.start_mark.line + 1
            yield from _node_lines(value, (*path, key.value))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _node_lines(item, (*path, index))


def _field(path: Path_) -> str:
    return ".".join(str(part) for part in path)


Found = Iterator[tuple[Path_, str, Literal["error", "warning"]]]


def _documents(found: MessageMap, evidence_db: Location | None) -> dict[str, str]:
    """The texts facts may cite: the corpus, and the ingested sources this map cites."""
    documents = corpus_texts()
    keys = [*found.key_messages, *(k for c in found.concerns for k in c.key_messages)]
    cited = {f.source for k in keys for f in k.facts} | set(found.authority.sources)
    missing = cited - documents.keys()
    if missing and evidence_db is not None:
        from knowledge.history.versions import source_texts

        documents |= source_texts(evidence_db, missing)
    return documents


def _content_problems(
    found: MessageMap, expected_id: str | None, documents: dict[str, str]
) -> Found:
    """What the schema cannot see: ids, languages, sources, grounded numbers, word counts."""
    topics = {topic.id for topic in load_catalog().topics}
    if expected_id is not None and found.id != expected_id:
        yield (
            ("id",),
            f"the map's id is '{found.id}'; this file must have id '{expected_id}'",
            "error",
        )
    if found.id not in topics:
        yield (
            ("id",),
            f"'{found.id}' is not a topic; use one of: {', '.join(sorted(topics))}",
            "error",
        )
    yield from _language_problems(("authority", "body"), found.authority.body, MAP_LANGUAGES)
    for n, source in enumerate(found.authority.sources):
        if source not in documents:
            yield ("authority", "sources", n), _unknown_source(source), "error"
    for n, pending in enumerate(found.native_review_pending):
        if pending not in ALL_LANGUAGES:
            yield ("native_review_pending", n), f"'{pending}' is not a language", "error"
    yield from _key_message_problems(("key_messages",), found.key_messages, found, documents)
    yield from _concern_problems(found, documents)
    yield from _duplicate_ids(found)
    yield from _audience_problems(found)


def _audience_problems(found: MessageMap) -> Found:
    """Key messages an audience gets that speak of another audience: a warning, since the
    office may mean it (grandparents protecting a baby); the composer's text is approved."""
    from comms.checks.lexicon import find_terms, load_lexicon

    audiences = load_catalog().audiences
    overview = {a for c in found.concerns if c.kind == "overview" for a in c.audiences}
    sets: list[tuple[Path_, tuple[KeyMessage, ...], list[str]]] = [
        (("key_messages",), found.key_messages, [a.id for a in audiences if a.id not in overview])
    ]
    sets += [(("concerns", n, "key_messages"), c.key_messages, list(c.audiences))
             for n, c in enumerate(found.concerns)]  # fmt: skip
    for path, keys, audience_ids in sets:
        for audience in (a for a in audiences if a.id in audience_ids):
            for language in MAP_LANGUAGES:
                terms = tuple(audience.not_about.get(base_language(language), ()))
                text = " ".join(k.text.get(language, "") for k in keys)
                hits = find_terms(text, terms, load_lexicon(language).prefixes) if terms else []
                if hits:
                    said = ", ".join(f'"{h}"' for h in dict.fromkeys(hits))
                    yield path, (f"{audience.id} get these key messages, which speak of another "
                                 f"audience ({said}, {language}); give {audience.id} an overview "
                                 "concern if that is not meant"), "warning"  # fmt: skip
                    break


def _concern_problems(found: MessageMap, documents: dict[str, str]) -> Found:
    audiences = {audience.id for audience in load_catalog().audiences}
    for n, concern in enumerate(found.concerns):
        path: Path_ = ("concerns", n)
        yield from _language_problems((*path, "question"), concern.question, ALL_LANGUAGES)
        if concern.myth is not None:
            yield from _language_problems((*path, "myth"), concern.myth, MAP_LANGUAGES)
        for language in concern.keywords:
            if language not in ALL_LANGUAGES:
                yield (*path, "keywords", language), f"'{language}' is not a language", "error"
        for name in ("audiences", "speaks_to"):
            for m, audience in enumerate(getattr(concern, name)):
                if audience not in audiences:
                    known = ", ".join(sorted(audiences))
                    yield (*path, name, m), f"'{audience}' is not an audience ({known})", "error"
        yield from _key_message_problems(
            (*path, "key_messages"), concern.key_messages, found, documents
        )


def _key_message_problems(
    path: Path_, messages: tuple[KeyMessage, ...], found: MessageMap, documents: dict[str, str]
) -> Found:
    for n, key in enumerate(messages):
        here: Path_ = (*path, n)
        yield from _language_problems((*here, "text"), key.text, ALL_LANGUAGES)
        sources = [fact.source for fact in key.facts] or list(found.authority.sources)
        grounds = [documents[s] for s in sources if s in documents]
        yield from _number_problems((*here, "text"), key.text, grounds, ", ".join(sources))
        for m, fact in enumerate(key.facts):
            at: Path_ = (*here, "facts", m)
            yield from _language_problems((*at, "text"), fact.text, MAP_LANGUAGES)
            if fact.source not in documents:
                yield (*at, "source"), _unknown_source(fact.source), "error"
                continue
            yield from _number_problems(
                (*at, "text"), fact.text, [documents[fact.source]], fact.source
            )
            yield from _abroad_problems(at, fact, found)
    for language in MAP_LANGUAGES:
        words = sum(len(split_words(key.text.get(language, ""))) for key in messages)
        if words > TARGET_WORDS * WORD_SLACK and language in ("de", "en"):
            reason = (f"the three key messages have {words} words in '{language}'; "
                      f"a message map aims at about {TARGET_WORDS}")  # fmt: skip
            yield path, reason, "warning"


def _language_problems(path: Path_, texts: Texts, required: tuple[str, ...]) -> Found:
    """Every required language present and non-empty; no language Clarion does not know."""
    for language, text in texts.items():
        if language not in ALL_LANGUAGES:
            yield (
                (*path, language),
                f"'{language}' is not a language ({', '.join(ALL_LANGUAGES)})",
                "error",
            )
        elif not text.strip():
            yield (*path, language), "is empty", "error"
    missing = [language for language in required if language not in texts]
    if missing:
        yield path, f"needs a text in {', '.join(missing)}", "error"


def _number_problems(path: Path_, texts: Texts, grounds: list[str], cited: str) -> Found:
    for language, text in texts.items():
        if not find_numbers(text):
            continue
        missing = find_ungrounded(text, frozenset(grounds))
        if missing:
            reason = f"the number(s) {', '.join(missing)} are not in its source ({cited})"
            yield (*path, language), reason, "error"


def _duplicate_ids(found: MessageMap) -> Found:
    """Concern, key-message and fact ids are unique in a map; a repeat is named where it is."""
    seen: set[str] = set()
    for n, concern in enumerate(found.concerns):
        if concern.id in seen:
            yield ("concerns", n, "id"), f"the concern id '{concern.id}' is used twice", "error"
        seen.add(concern.id)
    keys: set[str] = set()
    facts: set[str] = set()
    for path, key in _key_paths(found):
        if key.id in keys:
            yield (*path, "id"), f"the key message id '{key.id}' is used twice", "error"
        keys.add(key.id)
        for m, fact in enumerate(key.facts):
            if fact.id in facts:
                at: Path_ = (*path, "facts", m, "id")
                yield at, f"the fact id '{fact.id}' is used twice", "error"
            facts.add(fact.id)


def _key_paths(found: MessageMap) -> Iterator[tuple[Path_, KeyMessage]]:
    for n, key in enumerate(found.key_messages):
        yield ("key_messages", n), key
    for c, concern in enumerate(found.concerns):
        for n, key in enumerate(concern.key_messages):
            yield ("concerns", c, "key_messages", n), key


def _abroad_problems(at: Path_, fact: MapFact, found: MessageMap) -> Found:
    """A fact that cites another country's (or an international) body is marked `from_abroad`,
    so the message says where it comes from; a fact of the authority's own country is not."""
    from knowledge.sources.corpus import corpus_countries

    countries = corpus_countries()
    home = next((countries[s] for s in found.authority.sources if countries.get(s)), None)
    country = countries.get(fact.source)
    if home is None or country is None:
        return  # an office's own upload, or an authority without a country: nothing to compare
    if country != home and not fact.from_abroad:
        said = "an international body" if country == "INT" else f"country {country}"
        reason = (f"'{fact.source}' is a source of {said}, not of the map's authority "
                  f"({home}): cite a document of the authority that says it, or mark the fact "
                  "`from_abroad: true` so that a message says where it comes from")  # fmt: skip
        yield (*at, "source"), reason, "error"
    elif country == home and fact.from_abroad:
        reason = (
            f"'{fact.source}' is a source of {home}, the map's own country: from_abroad is wrong"
        )
        yield (*at, "from_abroad"), reason, "error"


def _unknown_source(source: str) -> str:
    return (
        f"'{source}' is not a document of the curated corpus (knowledge/corpus) nor a source "
        "ingested into the knowledge store"
    )


@lru_cache(maxsize=1)
def corpus_texts() -> dict[str, str]:
    """Each curated corpus document's text by id: what facts may cite."""
    from knowledge.sources.corpus import read_corpus

    return {doc.meta.id: f"{doc.meta.title}\n{doc.body}" for doc in read_corpus()}
