"""What a message's sentences may rest on, gathered for the meaning checks: the topic's map,
the passages the message itself cites, the fact sheet, the catalogue's frames, and for a
model's version the composed draft (docs/checks.md, "Every sentence accounted for")."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from comms.campaign_facts import CampaignFacts, fact_labels
from comms.checks.fidelity import Embed
from comms.checks.lexicon import load_lexicon
from comms.checks.lint import Meaning
from comms.checks.support import Statement, Support, meaning_words, sentence_spans
from comms.maps.compose import frame_phrases, topic_name
from comms.maps.library import LoadedMap
from comms.maps.statements import fitting_key_sets, map_statements
from core.catalog import base_language, load_catalog

if TYPE_CHECKING:
    from comms.drafting.draft import Resolved

FUNCTION_ZIPF = 5.0  # a stop word at least this frequent is a function word
MAX_PASSAGE_SENTENCES = 40  # of each cited passage: the passage's opening carries its point


@lru_cache(maxsize=8)
def stopwords(language: str) -> frozenset[str]:
    """The language's function words: in its stopwordsiso list (one maintained list per ISO
    code) and frequent (wordfreq Zipf ≥ FUNCTION_ZIPF). stopwordsiso's lists are generous
    ("serious" and "older" are in the English one); a word a claim rests on must not be
    skipped."""
    import stopwordsiso
    from wordfreq import zipf_frequency

    code = base_language(language)
    words = stopwordsiso.stopwords(code) if stopwordsiso.has_lang(code) else set()
    return frozenset(w for w in words if zipf_frequency(w, code) >= FUNCTION_ZIPF)


def support_for(
    resolved: Resolved,
    loaded: LoadedMap,
    facts: CampaignFacts,
    cited_texts: list[str],
    draft: str = "",
    frames: list[str] | None = None,
) -> Support:
    """Everything a sentence of this message may be backed by; `frames` are the composer's
    own lines of a composed message (its salutation, the question it acknowledges)."""
    language = resolved.language.id
    statements = list(_map_sentences(loaded.version, loaded, language))
    statements += [Statement(s.text, "frame") for f in frames or [] for s in
                   sentence_spans(f, language, tuple(facts.filled().values()))]  # fmt: skip
    keep = tuple(facts.filled().values())
    statements += [Statement(s.text, "draft") for s in sentence_spans(draft, language, keep)]
    for text in cited_texts:
        statements += [Statement(s, "passage") for s in _passage_sentences(text, language)]
    frames = [*meaning_words(language).frames, *frame_phrases(language, resolved.topic.id)]
    topic = resolved.topic
    name = topic_name(language, topic.id)
    statements += [Statement(f.replace("{topic}", name), "frame") for f in frames]
    body = loaded.map.authority.body
    vocabulary = (
        *topic.keywords, name, topic.label_in("de"), topic.label_in("en"),
        *(body.get(lang, "") for lang in (language, base_language(language))),
        resolved.audience.label_in("de"), resolved.audience.label_in("en"),
    )  # fmt: skip
    others = tuple(k for t in load_catalog().topics if t.id != topic.id for k in t.keywords)
    return Support(
        language=language,
        statements=tuple(dict.fromkeys(statements)),
        fact_values=tuple(facts.filled().values()),
        labels=tuple(fact_labels(language).values()),
        vocabulary=tuple(v for v in vocabulary if v),
        other_topics=others,
        myth_markers=load_lexicon(language).myth_markers,
        stopwords=stopwords(language),
    )


_MAPS: dict[tuple[str, str], tuple[Statement, ...]] = {}


def _map_sentences(version: str, loaded: LoadedMap, language: str) -> tuple[Statement, ...]:
    """A map version's statements in a language, split once per process (the map is
    immutable under its version hash)."""
    key = (version, language)
    if key not in _MAPS:
        _MAPS[key] = tuple(_with_sentences(map_statements(loaded, language), language))
    return _MAPS[key]


@lru_cache(maxsize=512)
def _passage_sentences(text: str, language: str) -> tuple[str, ...]:
    """A cited passage's first sentences, split once per process."""
    return tuple(s.text for s in sentence_spans(text, language)[:MAX_PASSAGE_SENTENCES])


def _with_sentences(statements: list[Statement], language: str) -> list[Statement]:
    """Each statement, and each sentence of one that has several ("Manchmal wirkt die erste
    Impfung nicht. Dann hilft die zweite Impfung."): a message may carry them apart."""
    found = []
    for statement in statements:
        found.append(statement)
        spans = sentence_spans(statement.text, language)
        if len(spans) > 1:
            found += [Statement(span.text, statement.kind) for span in spans]
    return found


def meaning_for(
    resolved: Resolved,
    loaded: LoadedMap,
    support: Support,
    embed: Embed | None,
    key_messages: list[tuple[str, str]] | None = None,
    required: bool = True,
) -> Meaning:
    """The meaning checks' input for one message."""
    sets = fitting_key_sets(loaded, resolved.audience.id, resolved.language.id)
    return Meaning(
        support=support,
        embed=embed,
        key_messages=tuple(key_messages or ()),
        key_sets=tuple((name, tuple(keys)) for name, keys in sets),
        fidelity_required=required,
    )
