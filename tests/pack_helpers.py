"""Helpers shared by the pack tests: a small campaign, scripted answers, a generated pack."""

from __future__ import annotations

from typing import Any

from comms.drafting.draft import Request
from comms.drafting.write import compose_message
from comms.packs.campaign import Campaign, Cell, Sender
from comms.packs.generation import PackRun, create_campaign, generate_pack
from comms.packs.store import PackStore
from core.settings import Settings, load_settings
from knowledge.retrieval.store import Store
from tests.conftest import ScriptedChat

FACTS = {
    "when": "02.11.–27.11.2026",
    "where": "Gesundheitsamt Musterstadt, Marktplatz 1",
    "booking": "https://impfen.example.org",
}


def pack_settings(settings: Settings) -> Settings:
    """The test's settings with one model call per message (no repair rounds)."""
    return load_settings(data_dir=settings.data_dir, repair_tries=0)


def small_campaign(**changes: Any) -> Campaign:
    """2 audiences × 2 channels × 2 languages = 8 messages."""
    data: dict[str, Any] = {
        "id": "flu-test",
        "name": "Grippe <Test>",
        "topic": "flu",
        "facts": FACTS,
        "audiences": ["older-adults", "health-workers"],
        "channels": ["sms", "letter"],
        "languages": ["de", "en"],
        "sender": Sender(name="Gesundheitsamt Musterstadt", address=["Marktplatz 1"]),
    }
    return Campaign.model_validate(data | changes)


def answer(n: int) -> dict[str, Any]:
    """A valid model answer; {booking} is a fact slot Clarion fills in."""
    return {
        "text": f"Die Grippeimpfung schützt Sie im Winter. Nachricht {n}: Termin buchen: {{booking}}",
        "citations": [1],
    }


def scripted(count: int) -> ScriptedChat:
    return ScriptedChat([answer(n) for n in range(count)])


def kept(settings: Settings, store: Store, campaign: Campaign, cell: Cell) -> dict[str, Any]:
    """A model answer the gate keeps: the cell's composed text, which holds every key message."""
    request = Request(campaign.topic, cell.audience, cell.channel, cell.language, campaign.concern)
    floor = compose_message(request, settings=settings, store=store, facts=campaign.fact_sheet)
    return {"text": floor.message.text, "citations": [1]}


def generated(
    settings: Settings,
    store: Store,
    campaign: Campaign | None = None,
    user: str = "Ann",
    *,
    ask_model: bool | None = False,
) -> tuple[PackStore, PackRun]:
    """A stored campaign with every message generated: composed, or (ask_model) with the
    scripted model asked for its version too."""
    campaign = campaign or small_campaign()
    packs = PackStore(settings)
    create_campaign(packs, campaign, settings=settings, user=user)
    run = generate_pack(
        packs, campaign.id, settings=settings, chat=scripted(campaign.size), knowledge=store,
        user=user, ask_model=ask_model,
    )  # fmt: skip
    return packs, run
