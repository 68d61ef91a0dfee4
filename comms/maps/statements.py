"""What a map lets a message say: every key message, fact and question of the topic's map in
the message's language (German, Einfache and Leichte Sprache count as one), its questions and
myths marked as such."""

from __future__ import annotations

from comms.checks.support import Statement
from comms.maps.library import LoadedMap
from comms.maps.schema import Concern, KeyMessage

GERMAN = ("de", "de-einfach", "de-leicht")


def _family(language: str) -> tuple[str, ...]:
    return GERMAN if language in GERMAN else (language,)


def map_statements(loaded: LoadedMap, language: str) -> list[Statement]:
    """The map's approved texts in the language, any concern; myths marked as such."""
    langs = _family(language)
    found: list[Statement] = []
    for _, key in loaded.map.all_key_messages():
        found += [Statement(key.text[lang], "map") for lang in langs if lang in key.text]
        found += [
            Statement(fact.text[lang], "map")
            for fact in key.facts
            for lang in langs
            if lang in fact.text
        ]
    for concern in loaded.map.concerns:
        found += [Statement(concern.question[lang], "question") for lang in langs
                  if lang in concern.question]  # fmt: skip
        found += [Statement((concern.myth or {})[lang], "myth") for lang in langs
                  if lang in (concern.myth or {})]  # fmt: skip
    return list(dict.fromkeys(found))


def _texts(keys: tuple[KeyMessage, ...], language: str) -> list[tuple[str, str]]:
    return [(key.id, key.text[language]) for key in keys if language in key.text]


def fitting_key_sets(
    loaded: LoadedMap, audience: str, language: str
) -> list[tuple[str, list[tuple[str, str]]]]:
    """The key-message sets that fit an audience: the overarching three, and each concern's
    three where the concern is the audience's (or everyone's)."""
    sets = [("key_messages", _texts(loaded.map.key_messages, language))]
    sets += [(c.id, _texts(c.key_messages, language)) for c in loaded.map.concerns
             if _fits(c, audience)]  # fmt: skip
    return [(name, keys) for name, keys in sets if keys]


def _fits(concern: Concern, audience: str) -> bool:
    return not concern.audiences or audience in concern.audiences
