"""Key-message fidelity with the real embedder: the composed text and faithful paraphrases keep
the key messages; another concern's messages, nonsense and a lost number do not."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest

from bench.rig import FACTS
from comms.checks.fidelity import FIDELITY_SIMILARITY, check_fidelity, kept
from comms.drafting.draft import Request
from comms.drafting.write import Floor, compose_message
from core.settings import load_settings


@cache
def composed(channel: str, language: str, concern_id: str | None = None) -> Floor:
    settings = load_settings(data_dir=Path("/nonexistent-clarion-data"))  # never written
    request = Request("measles", "parents-infants", channel, language)
    return compose_message(request, settings=settings, store=None, facts=FACTS,
                           concern_id=concern_id)  # fmt: skip


def keys(language: str, concern_id: str | None) -> list[tuple[str, str]]:
    return composed("letter", language, concern_id).composed.key_messages


@pytest.mark.parametrize("language", ["de", "en", "de-einfach"])
@pytest.mark.parametrize("channel", ["letter", "faq", "phone", "poster"])
@pytest.mark.parametrize("concern_id", [None, "safety", "autism-myth", "side-effects"])
def test_the_composed_text_keeps_its_key_messages(
    real_embedder: Any, channel: str, language: str, concern_id: str | None
) -> None:
    made = composed(channel, language, concern_id)
    assert len(made.composed.key_messages) == (2 if channel == "poster" else 3)  # poster: 300 chars
    item = check_fidelity(made.message.text, made.composed.key_messages, language,
                          real_embedder.embed)  # fmt: skip
    assert item.passed and item.severity == "error", item.reason


PARAPHRASE_DE = (
    "Die MMR-Impfung ist seit Jahrzehnten im Einsatz und gut erprobt. Mit zwei Impfungen sind "
    "etwa 97 von 100 Menschen geschützt. Ihre Kinderärztin oder Ihr Kinderarzt beantwortet Ihre "
    "Fragen gern."
)
PARAPHRASE_EN = (
    "The MMR vaccine has been given for decades and is well tested. With two doses, about 97 in "
    "100 people are protected. Your child's doctor will gladly answer your questions."
)

# (case, text, language, key messages of concern, passes, words the reason must name)
CASES = [
    ("German paraphrase", PARAPHRASE_DE, "de", "safety", True, ["Keeps all 3"]),
    ("English paraphrase", PARAPHRASE_EN, "en", "safety", True, ["Keeps all 3"]),
    (
        "German paraphrase without the number",
        PARAPHRASE_DE.replace("etwa 97 von 100 Menschen", "fast alle Menschen"),
        "de", "safety", False, ["protects-most: lacks its number(s) 97, 100."],
    ),
    (
        "English paraphrase without the number",
        PARAPHRASE_EN.replace("about 97 in 100 people", "nearly everyone"),
        "en", "safety", False, ["protects-most: lacks its number(s) 97, 100."],
    ),
    (
        "another concern's key messages",
        " ".join(text for _, text in keys("de", "side-effects")),
        "de", "safety", False, ["safe-well-tested", "protects-most", "ask-doctor"],
    ),
    (
        "another concern's key messages, English",
        " ".join(text for _, text in keys("en", "law")),
        "en", "autism-myth", False, ["mmr-protects", "no-link-autism", "vaccinate-on-time"],
    ),
    (
        "nonsense",
        "text_message_here_is_the_main_message_here_is_the_text",
        "de", None, False, ["two-doses-protect", "measles-serious", "protect-others", "meaning"],
    ),
    (
        "German paraphrase that drops a key message",
        PARAPHRASE_DE.split(" Ihre Kinderärztin")[0],
        "de", "safety", False, ["ask-doctor: lacks key terms"],
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "language", "concern_id", "passes", "words"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_fidelity_cases(
    real_embedder: Any,
    text: str,
    language: str,
    concern_id: str | None,
    passes: bool,
    words: list[str],
) -> None:
    item = check_fidelity(text, keys(language, concern_id), language, real_embedder.embed)
    assert item.passed is passes, item.reason
    assert (item.points, item.max_points) == ((1, 1) if passes else (0, 1))
    assert [w for w in words if w not in item.reason] == [], item.reason


KEY = "Nach zwei Impfungen sind etwa 97 von 100 Menschen geschützt."


@pytest.mark.parametrize(
    ("text", "closest", "problems"),
    [
        (KEY, 0.95, []),
        ("Mit zwei Impfungen sind etwa 97 von 100 Menschen geschützt.", 0.9, []),
        ("Nach zwei Impfungen sind fast alle Menschen geschützt.", 0.9, ["its number(s) 97, 100"]),
        ("Etwa 97 von 100 Leuten.", 0.9, ["key terms (impfungen, geschützt)"]),
        (KEY, FIDELITY_SIMILARITY - 0.01, [f"its meaning (closest sentence 0.59 < {FIDELITY_SIMILARITY})"]),
        ("Das Wetter ist schön.", 0.1, [
            "its number(s) 97, 100", "key terms (impfungen, geschützt)",
            f"its meaning (closest sentence 0.10 < {FIDELITY_SIMILARITY})",
        ]),
    ],
)  # fmt: skip
def test_kept_names_what_a_text_lacks(text: str, closest: float, problems: list[str]) -> None:
    assert kept(KEY, text, "de", closest) == problems
