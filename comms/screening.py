"""Evidence as data: passages are screened for text that tries to instruct the model."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Sentences that address the model rather than the reader (English and German phrasings).
_INSTRUCTION = re.compile(
    r"(ignore|disregard|forget|override)\s+(all\s+|any\s+|the\s+|your\s+)*"
    r"(previous|prior|above|earlier|system)?\s*(instructions?|prompts?|rules|directions)"
    r"|you\s+are\s+now\b|new\s+instructions?\s*:|system\s+prompt|as\s+an?\s+ai\b"
    r"|(ignorier|vergiss|missachte)\w*\s+(alle\s+|die\s+)*(vorherigen|bisherigen|obigen)?\s*"
    r"(anweisungen|instruktionen|regeln)"
    r"|du\s+bist\s+jetzt\b|neue\s+anweisung",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"[^.!?\n]*[.!?\n]?")
REMOVED = "[…]"


@dataclass(frozen=True)
class Screened:
    """A passage's text as the model sees it, and what was removed."""

    text: str
    removed: tuple[str, ...]

    @property
    def flagged(self) -> bool:
        return bool(self.removed)


def screen(text: str) -> Screened:
    """Drop sentences that try to instruct the model; the rest is passed on as quoted data."""
    kept: list[str] = []
    removed: list[str] = []
    for sentence in _SENTENCE.findall(text):
        if _INSTRUCTION.search(sentence):
            removed.append(sentence.strip())
            lead = sentence[: len(sentence) - len(sentence.lstrip())]
            tail = sentence[len(sentence.rstrip()) :]
            kept.append(lead + REMOVED + tail)
        else:
            kept.append(sentence)
    return Screened("".join(kept), tuple(removed))
