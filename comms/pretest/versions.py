"""Which texts of a pack can be tested against each other, and the versions they make."""

from __future__ import annotations

from dataclasses import dataclass

from comms.packs.campaign import Cell
from comms.packs.store import PackMessage, PackStore
from comms.pretest.design import LABELS, Source, TestVersion
from core.errors import InputError


@dataclass(frozen=True)
class Choice:
    """A version to test: a variant of the message, as it stands or as composed from the map."""

    variant: int
    source: Source = "current"

    @property
    def name(self) -> str:
        return f"v{self.variant}" + ("" if self.source == "current" else f":{self.source}")

    @classmethod
    def parse(cls, text: str) -> Choice:
        """'2' or 'v2' is variant 2 as it stands; 'v1:composed' is variant 1's composed floor."""
        head, _, source = text.strip().lower().partition(":")
        number = head.removeprefix("v")
        if not number.isdigit() or int(number) < 1 or source not in ("", "current", "composed"):
            raise InputError(
                f"'{text}' is not a version: write the variant number, e.g. 2 or v2, and "
                "':composed' for its composed version (v1:composed)."
            )
        return cls(int(number), "composed" if source == "composed" else "current")


def choices(
    store: PackStore, campaign_id: str, audience: str, channel: str, languages: list[str]
) -> list[Choice]:
    """The versions a pretest of this message can compare: each variant present in every
    language, and its composed floor where the text differs from it (the model's version was
    kept, or a person edited it)."""
    found: list[Choice] = []
    messages = _messages(store, campaign_id, audience, channel)
    variants = sorted({cell.variant for cell in messages})
    for variant in variants:
        cells = [messages.get(Cell(audience, channel, lang, variant)) for lang in languages]
        present = [m for m in cells if m is not None]
        if len(present) < len(languages):
            continue
        found.append(Choice(variant))
        if any(_composed(m) not in ("", m.text) for m in present):
            found.append(Choice(variant, "composed"))
    return found


def pick_versions(
    store: PackStore,
    campaign_id: str,
    audience: str,
    channel: str,
    languages: list[str],
    picked: list[Choice],
) -> list[TestVersion]:
    """The versions for a pretest, labelled A, B, … in the order picked; an InputError names
    a version that is missing, repeated, or reads the same as another."""
    if not 2 <= len(picked) <= len(LABELS):
        raise InputError(f"A pretest compares 2 to {len(LABELS)} versions; {len(picked)} given.")
    if len(set(picked)) < len(picked):
        raise InputError("The same version is chosen twice: pick different ones.")
    messages = _messages(store, campaign_id, audience, channel)
    versions = [
        _version(label, choice, messages, audience, channel, languages)
        for label, choice in zip(LABELS, picked, strict=False)
    ]
    for lang in languages:
        texts = [v.texts[lang] for v in versions]
        if len(set(texts)) < len(texts):
            raise InputError(
                f"Two of the chosen versions read the same in '{lang}': readers could not tell "
                "them apart. Pick versions whose texts differ."
            )
    return versions


def _version(
    label: str,
    choice: Choice,
    messages: dict[Cell, PackMessage],
    audience: str,
    channel: str,
    languages: list[str],
) -> TestVersion:
    texts: dict[str, str] = {}
    revisions: dict[str, int] = {}
    for lang in languages:
        message = messages.get(Cell(audience, channel, lang, choice.variant))
        if message is None:
            raise InputError(
                f"The pack has no {audience} · {channel} message in '{lang}', variant "
                f"{choice.variant}: generate it, or test in other languages."
            )
        text = message.text if choice.source == "current" else _composed(message)
        if not text:
            raise InputError(
                f"Variant {choice.variant} in '{lang}' has no composed version to test."
            )
        texts[lang], revisions[lang] = text, message.revision
    return TestVersion(
        label=label,
        variant=choice.variant,
        source=choice.source,
        revisions=revisions,
        texts=texts,
    )


def _messages(
    store: PackStore, campaign_id: str, audience: str, channel: str
) -> dict[Cell, PackMessage]:
    store.campaign(campaign_id)  # an InputError naming an unknown campaign
    return {
        m.cell: m
        for m in store.messages(campaign_id)
        if m.cell.audience == audience and m.cell.channel == channel
    }


def _composed(message: PackMessage) -> str:
    return str(message.message.get("composed_text") or "")
