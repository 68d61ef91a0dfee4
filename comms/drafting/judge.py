"""A second opinion from the model itself (CLARION_JUDGE=model): each sentence of its version,
checked against the approved statements and the cited passages, with a schema-constrained
answer. One more request per version, so it is meant for a strong model behind a server; the
bundled small model cannot judge and the setting is off by default (docs/checks.md)."""

from __future__ import annotations

import json
from typing import Any

from comms.checks.support import Support, sentence_spans
from comms.model.backends import ChatModel
from comms.report import LintItem, SentenceVerdict
from core.errors import BackendError, GenerationError

MAX_STATEMENTS = 120  # the approved statements shown to the judge (the map's, then passages')
INSTRUCTIONS = (
    "You check a public-health message before a health office sends it. For each numbered "
    "sentence, decide whether everything it states is backed by the approved statements or the "
    "cited passages below (same meaning, same numbers, same frequency, same negation). "
    "Greetings, sign-offs, invitations to book or ask, and the office's logistics are backed. "
    "Answer with JSON only."
)


def judge_schema(count: int) -> dict[str, Any]:
    """One verdict per sentence: its number, backed or not, and why not."""
    verdict = {
        "type": "object",
        "properties": {
            "n": {"type": "integer", "minimum": 1, "maximum": max(1, count)},
            "supported": {"type": "boolean"},
            "why": {"type": "string", "maxLength": 200},
        },
        "required": ["n", "supported", "why"],
        "additionalProperties": False,
    }
    verdicts = {"type": "array", "items": verdict, "minItems": count, "maxItems": count}
    return {
        "type": "object",
        "properties": {"verdicts": verdicts},
        "required": ["verdicts"],
        "additionalProperties": False,
    }


def judge_prompt(sentences: list[str], support: Support) -> list[dict[str, str]]:
    """The judge's chat messages: the approved statements, then the numbered sentences."""
    order = ("passage", "draft", "map", "question")  # the version's own evidence first
    approved = [s.text for kind in order for s in support.statements if s.kind == kind]
    lines = "\n".join(f"- {text}" for text in approved[:MAX_STATEMENTS])
    numbered = "\n".join(f"{n}. {s}" for n, s in enumerate(sentences, 1))
    facts = "\n".join(f"- {v}" for v in support.fact_values)
    user = (
        f"Approved statements and cited passages:\n{lines}\n\nThe office's logistics:\n{facts}"
        f"\n\nSentences to check:\n{numbered}"
    )
    return [{"role": "system", "content": INSTRUCTIONS}, {"role": "user", "content": user}]


def judge_sentences(chat: ChatModel, text: str, support: Support, *, seed: int = 0) -> LintItem:
    """The item "judge": an error naming each sentence the model found unsupported."""
    spans = sentence_spans(text, support.language, support.fact_values)
    if not spans:
        return _item(True, "No sentences to judge.", "judge.none", {})
    try:
        completion = chat.complete(judge_prompt([s.text for s in spans], support),
                                   judge_schema(len(spans)), seed=seed, max_tokens=80 * len(spans),
                                   temperature=0.0)  # fmt: skip
        verdicts = _parse(completion.text, len(spans))
    except (BackendError, GenerationError) as exc:  # no opinion is not a pass
        reason = f"The model's second opinion could not be had: {exc}"
        return _item(False, reason, "judge.failed", {"error": str(exc)})
    refused = [
        SentenceVerdict(start=spans[n - 1].start, end=spans[n - 1].end, text=spans[n - 1].text,
                        check="judge", rule="supported.judge",
                        reason=f"The model judge found it unsupported: {why}",
                        reason_key="supported.judge", reason_args={"why": why})
        for n, ok, why in verdicts if not ok
    ]  # fmt: skip
    if not refused:
        reason = f"The model judged all {len(spans)} sentences backed."
        return _item(True, reason, "judge.ok", {"count": str(len(spans))})
    reason = f'The model judged {len(refused)} sentence(s) unsupported, first: "{refused[0].text}".'
    item = _item(False, reason, "judge.refused", {"refused": str(len(refused))})
    return item.model_copy(update={"sentences": tuple(refused)})


def _parse(raw: str, count: int) -> list[tuple[int, bool, str]]:
    try:
        data = json.loads(raw)
        found = [(int(v["n"]), bool(v["supported"]), str(v.get("why", ""))[:200])
                 for v in data["verdicts"]]  # fmt: skip
    except (ValueError, KeyError, TypeError) as exc:
        raise GenerationError(f"The judge's answer is not valid ({exc}).") from exc
    numbers = {n for n, _, _ in found}
    if numbers != set(range(1, count + 1)):
        raise GenerationError(f"The judge answered for sentences {sorted(numbers)}, not 1–{count}.")
    return found


def _item(passed: bool, reason: str, key: str, args: dict[str, str]) -> LintItem:
    return LintItem(id="judge", passed=passed, severity="error", reason=reason,
                    points=int(passed), max_points=1, reason_key=key, reason_args=args)  # fmt: skip
