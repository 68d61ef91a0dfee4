"""Which texts of a pack can be tested against each other, and the versions they make."""

from __future__ import annotations

import re
from dataclasses import dataclass

from comms.drafting.draft import Request
from comms.drafting.write import compose_message
from comms.maps.library import LoadedMap
from comms.maps.schema import map_hash
from comms.maps.store import MapStore
from comms.maps.validation import parse_map
from comms.packs.campaign import Campaign, Cell
from comms.packs.store import PackMessage, PackStore
from comms.pretest.design import LABELS, Source, TestVersion
from core.database import location
from core.errors import InputError
from knowledge.retrieval.store import Store

CHOICE = re.compile(r"v?([1-9][0-9]*)(?::(current|composed|map(0|[1-9][0-9]*)))?")


@dataclass(frozen=True)
class Choice:
    """A version to test: a variant of the message as it stands, its composed floor, or its
    floor composed from an older approved version of the topic's message map."""

    variant: int
    source: Source = "current"
    map_version: int | None = None

    @property
    def name(self) -> str:
        match self.source:
            case "current":
                return f"v{self.variant}"
            case "composed":
                return f"v{self.variant}:composed"
        return f"v{self.variant}:map{self.map_version}"

    @classmethod
    def parse(cls, text: str) -> Choice:
        """'2' or 'v2': variant 2 as it stands; 'v1:composed': its composed floor; 'v1:map3':
        its floor composed from version 3 of the message map."""
        found = CHOICE.fullmatch(text.strip().lower())
        if found is None:
            raise InputError(
                f"'{text}' is not a version: write the variant number, e.g. 2 or v2, "
                "':composed' for its composed version (v1:composed), or ':mapN' for the "
                "version composed from map version N (v1:map3)."
            )
        variant, source, number = found.groups()
        if number is not None:
            return cls(int(variant), "map", int(number))
        return cls(int(variant), "composed" if source == "composed" else "current")


def choices(
    store: PackStore, campaign_id: str, audience: str, channel: str, languages: list[str]
) -> list[Choice]:
    """The versions a pretest of this message can compare: each variant present in every
    language, its composed floor where the text differs from it (the model's version was
    kept, or a person edited it), and the first variant composed from each approved version
    of the topic's message map other than the one the pack was composed from."""
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
    if found:
        record = store.campaign(campaign_id)
        maps = _other_maps(store, record.campaign.topic, record.map_version)
        found += [Choice(found[0].variant, "map", n) for n in maps]
    return found


def pick_versions(
    store: PackStore,
    campaign_id: str,
    audience: str,
    channel: str,
    languages: list[str],
    picked: list[Choice],
    *,
    knowledge: Store | None = None,
) -> list[TestVersion]:
    """The versions for a pretest, labelled A, B, … in the order picked; an InputError names
    a version that is missing, repeated, or reads the same as another. `knowledge` is the
    evidence store a map version's floor is composed with (as the pack's cells were)."""
    if not 2 <= len(picked) <= len(LABELS):
        raise InputError(f"A pretest compares 2 to {len(LABELS)} versions; {len(picked)} given.")
    if len(set(picked)) < len(picked):
        raise InputError("The same version is chosen twice: pick different ones.")
    messages = _messages(store, campaign_id, audience, channel)
    campaign = store.campaign(campaign_id).campaign
    versions = []
    for label, choice in zip(LABELS, picked, strict=False):
        texts, revisions = {}, {}
        for lang in languages:
            cell = Cell(audience, channel, lang, choice.variant)
            message = _message(messages, cell)
            texts[lang] = _text(store, campaign, cell, message, choice, knowledge)
            revisions[lang] = message.revision
        versions.append(
            TestVersion(
                label=label,
                variant=choice.variant,
                source=choice.source,
                map_version=choice.map_version,
                revisions=revisions,
                texts=texts,
            )
        )
    _distinct(versions, languages)
    return versions


def _message(messages: dict[Cell, PackMessage], cell: Cell) -> PackMessage:
    message = messages.get(cell)
    if message is None:
        raise InputError(
            f"The pack has no {cell.audience} · {cell.channel} message in '{cell.language}', "
            f"variant {cell.variant}: generate it, or test in other languages."
        )
    return message


def _text(
    store: PackStore,
    campaign: Campaign,
    cell: Cell,
    message: PackMessage,
    choice: Choice,
    knowledge: Store | None,
) -> str:
    match choice.source:
        case "current":
            return message.text
        case "composed":
            text = _composed(message)
            if not text:
                raise InputError(
                    f"Variant {cell.variant} in '{cell.language}' has no composed version to test."
                )
            return text
    assert choice.map_version is not None  # set by parse for every "map" choice
    return _from_map(store, campaign, cell, choice.map_version, knowledge)


def _from_map(
    store: PackStore, campaign: Campaign, cell: Cell, number: int, knowledge: Store | None
) -> str:
    """The cell's floor composed from an approved version of the topic's map."""
    settings = store.settings
    version = MapStore(settings).version(campaign.topic, number)  # names an unknown one
    if version.status == "proposed":
        raise InputError(
            f"Version {number} of map '{campaign.topic}' is a proposal nobody approved: only "
            "approved map versions can be tested."
        )
    parsed = parse_map(
        version.text, f"{campaign.topic} v{number}", campaign.topic, location(settings)
    )
    loaded = LoadedMap(parsed, map_hash(version.text), version.text)
    request = Request(campaign.topic, cell.audience, cell.channel, cell.language, campaign.concern)
    floor = compose_message(
        request, settings=settings, store=knowledge, facts=campaign.fact_sheet, loaded=loaded
    )
    return floor.message.text


def _other_maps(store: PackStore, topic: str, used: str) -> list[int]:
    """The topic map's approved versions (in effect now, or earlier) other than the one the
    pack's cells were composed from, newest first."""
    history = MapStore(store.settings).history(topic)
    return [v.number for v in history if v.status != "proposed" and v.content_hash != used]


def _distinct(versions: list[TestVersion], languages: list[str]) -> None:
    for lang in languages:
        texts = [v.texts[lang] for v in versions]
        if len(set(texts)) < len(texts):
            raise InputError(
                f"Two of the chosen versions read the same in '{lang}': readers could not tell "
                "them apart. Pick versions whose texts differ."
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
