"""BM25 over the stored chunks: an inverted index, so a query touches only matching postings."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from functools import lru_cache
from itertools import chain
from typing import Any

import numpy as np

K1 = 1.2  # tuned with the fusion weights on knowledge/eval/queries.yaml
B = 0.75
_STOPWORDS = """
    a an and are as at be by can do does for from has have how i in is it its of on or our
    should that the their they this to was what when where which who why will with you your
    der die das den dem des ein eine einer eines einem einen und oder ist sind wird werden
    wie was wer wo wann warum für mit von zu zum zur im in an am auf aus bei nach vor über
    unter nicht auch es sie ich wir ihr man kann können soll sollte muss ab bis dass ob sich
    gegen lassen darf dürfen unser unsere unserem viele welche welcher welches paar immer
    danach sollen habe hat gibt noch schon sehr
"""
STOPWORDS = frozenset(_STOPWORDS.split())
_WORD = re.compile(r"\w+", re.UNICODE)
STEMMERS = {
    "de": "german",
    "en": "english",
    "tr": "turkish",
    "ru": "russian",
    "uk": "russian",
    "ar": "arabic",
}


@lru_cache(maxsize=8)
def _stemmer(language: str) -> Any:
    import snowballstemmer

    return snowballstemmer.stemmer(STEMMERS.get(language, "english"))


@lru_cache(maxsize=1 << 16)  # Snowball is pure Python; queries and compounds repeat words
def normalise(word: str, language: str = "en") -> str:
    """The Snowball stem of a lower-case word in the given language."""
    return str(_stemmer(language).stemWord(word))


def words(text: str) -> list[str]:
    """Lower-case words of a text without stopwords."""
    found = (m.lower() for m in _WORD.findall(text))
    return [w for w in found if w not in STOPWORDS and len(w) > 1]


def terms(text: str, language: str, vocabulary: frozenset[str] = frozenset()) -> list[str]:
    """Index terms of a text: stems, plus the parts of compounds found in the vocabulary."""
    out = []
    for word in words(text):
        out.append(normalise(word, language))
        out.extend(split_compound(word, language, vocabulary))
    return out


def split_compound(word: str, language: str, vocabulary: frozenset[str]) -> list[str]:
    """Parts of a German compound ("gürtelroseimpfung" → "gurtelros", "impfung") if both known."""
    if language != "de" or len(word) < 9 or not vocabulary:
        return []
    for cut in range(len(word) - 4, 3, -1):  # the longest known first part wins
        left, right = word[:cut], normalise(word[cut:], language)
        if right not in vocabulary:
            continue
        for head in (left, left[:-1] if left.endswith("s") else ""):  # Fugen-s: "Impfungsort"
            if head and normalise(head, language) in vocabulary:
                return [normalise(head, language), right]
    return []


class LexicalIndex:
    """BM25 (Okapi) scores for a fixed list of documents."""

    def __init__(self, texts: Sequence[str], languages: Sequence[str]) -> None:
        self.size = len(texts)
        doc_words = [words(text) for text in texts]
        seen: dict[str, set[str]] = {}
        for found, language in zip(doc_words, languages, strict=True):
            seen.setdefault(language, set()).update(found)
        self.languages = frozenset(languages)
        stems = {lang: {w: normalise(w, lang) for w in found} for lang, found in seen.items()}
        self.vocabulary = frozenset(s for by_word in stems.values() for s in by_word.values())
        # Each distinct word once: its term ids (its stem, plus a German compound's parts).
        ids: dict[str, int] = {}
        term_ids = {
            lang: {
                word: [
                    ids.setdefault(term, len(ids))
                    for term in (stem, *split_compound(word, lang, self.vocabulary))
                ]
                for word, stem in by_word.items()
            }
            for lang, by_word in stems.items()
        }
        # Every (term, document) pair counted at once by numpy, not term by term in Python.
        flat: list[int] = []
        counts = np.zeros(self.size, dtype=np.int64)
        for doc, (found, language) in enumerate(zip(doc_words, languages, strict=True)):
            before = len(flat)
            flat.extend(chain.from_iterable(map(term_ids[language].__getitem__, found)))
            counts[doc] = len(flat) - before
        docs = np.repeat(np.arange(self.size, dtype=np.int64), counts)
        pairs, tfs = np.unique(np.array(flat, dtype=np.int64) * max(self.size, 1) + docs,
                               return_counts=True)  # fmt: skip
        terms_of, docs_of = np.divmod(pairs, max(self.size, 1))
        cuts = np.flatnonzero(np.diff(terms_of)) + 1
        names = {n: term for term, n in ids.items()}
        self._postings = {
            names[int(term[0])]: (doc.astype(np.int32), tf.astype(np.float32))
            for term, doc, tf in zip(
                np.split(terms_of, cuts), np.split(docs_of, cuts), np.split(tfs, cuts), strict=True
            )
            if len(term)
        }
        lengths = counts.astype(np.float32)
        average = float(lengths.mean()) if self.size else 1.0
        self._norm = K1 * (1 - B + B * lengths / max(average, 1.0))

    def query_terms(self, query: str) -> set[str]:
        """The query's stems in every language the index holds (a word may be either)."""
        found: set[str] = set()
        for language in self.languages or {"en"}:
            found.update(terms(query, language, self.vocabulary))
        return found

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every document for the query."""
        total = np.zeros(self.size, dtype=np.float32)
        for term in self.query_terms(query):
            found = self._postings.get(term)
            if found is None:
                continue
            docs, tfs = found
            idf = math.log(1 + (self.size - len(docs) + 0.5) / (len(docs) + 0.5))
            total[docs] += idf * tfs * (K1 + 1) / (tfs + self._norm[docs])
        return total

    def top(self, query: str, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The k best (document index, score) pairs with a positive score."""
        scores = self.scores(query)
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        k = min(k, int((scores > 0).sum()))
        if k == 0:
            return []
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.argsort(-scores[best])]
        return [(int(i), float(scores[i])) for i in best]
