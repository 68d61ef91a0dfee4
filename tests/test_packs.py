"""Pack generation with a scripted model, the fake embedder and real SQLite in tmp."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from comms.drafting.template import load_template, parse_template, shipped_text
from comms.maps.library import load_map
from comms.packs.campaign import Cell, cells, load_campaign, parse_campaign
from comms.packs.generation import (
    Progress,
    cell_seed,
    create_campaign,
    dimension_order,
    generate_pack,
    open_campaign,
    plan_order,
    regenerate_cell,
)
from comms.packs.review import approve
from comms.packs.store import PackStore, PackStoreError
from core.database import DatabaseError, transaction
from core.errors import InputError, ModelCrashed
from tests.conftest import ROOT, ScriptedChat
from tests.pack_helpers import (
    answer,
    generated,
    kept,
    pack_settings,
    scripted,
    small_campaign,
)

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL


def _flat(call: dict) -> str:  # type: ignore[type-arg]
    return "\n".join(m["content"] for m in call["messages"])


def _shared(prompts: list[str]) -> int:
    """Characters consecutive prompts share at their start: what a KV cache can reuse."""
    total = 0
    for a, b in itertools.pairwise(prompts):
        total += next(
            (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
        )
    return total


def test_the_example_campaign_is_valid_and_has_18_messages() -> None:
    campaign = load_campaign(ROOT / "examples" / "flu-campaign.yaml")
    assert campaign.size == 18 and len(cells(campaign)) == 18
    assert campaign.languages == ["de", "en"] and campaign.sender is not None
    assert all("example.org" in campaign.facts[k] for k in ("booking",))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "id: x\nname: X\ntopic: flu\naudiences: [older-adults]\nchannels: [sms]\nlanguages: [de]\naudience: [x]\n",
            "audience: Extra inputs are not permitted",
        ),
        (
            "id: x\nname: X\ntopic: flu\naudiences: [grandparents]\nchannels: [sms]\nlanguages: [de]\n",
            "Unknown audience grandparents; choose from: parents-infants",
        ),
        (
            "id: x\nname: X\ntopic: flu\naudiences: [older-adults]\nchannels: [sms]\nlanguages: [de]\nfacts: {when: '{x}'}\n",
            "facts: Value error, when: Value error, must not contain",
        ),
        (
            "id: x\nname: X\ntopic: flu\naudiences: [older-adults]\nchannels: [sms]\nlanguages: [de]\nfacts: {prize: 5}\n",
            "prize: Extra inputs are not permitted",
        ),
        (
            "id: x\nname: X\ntopic: flu\naudiences: [older-adults]\nchannels: [sms]\nlanguages: [de]\nfacts: {price: '5 €'}\n",
            "price: Input should be a valid decimal",
        ),
        (
            "id: Bad Id\nname: X\ntopic: flu\naudiences: [older-adults]\nchannels: [sms]\nlanguages: [de]\n",
            "id: String should match pattern",
        ),
        (
            "id: x\nname: X\ntopic: flu\naudiences: [older-adults, older-adults]\nchannels: [sms]\nlanguages: [de]\n",
            "each id may appear only once",
        ),
        (
            "id: x\nname: X\ntopic: flu\naudiences: [older-adults]\nchannels: [sms]\nlanguages: [de]\nvariants: 9\n",
            "variants: Input should be less than or equal to 5",
        ),
        ("- a list\n", "must be a mapping"),
    ],
)
def test_a_campaign_file_mistake_names_what_to_fix(text: str, message: str) -> None:
    with pytest.raises(InputError, match="campaign file") as caught:
        parse_campaign(text)
    assert message in str(caught.value)


def test_order_puts_the_earliest_changing_dimension_outermost() -> None:
    campaign = small_campaign()
    shipped = load_template("draft_message")  # evidence and facts first, the language last
    assert dimension_order(campaign, shipped) == ("audience", "channel", "language")
    # A template that names the language in its system part and the channel before the audience.
    text = shipped_text("draft_message").replace(
        "  Answer with JSON:", "  Write in {{ language.prompt_name }}. Answer with JSON:"
    )
    text = text.replace(
        "  Topic: {{ topic.label.en }}\n", "  Topic: {{ topic.label.en }}\n  {{ channel.id }}\n"
    )
    template = parse_template(text)
    assert dimension_order(campaign, template) == ("language", "channel", "audience")
    order = plan_order(campaign, template)
    assert [c.language for c in order[:4]] == ["de"] * 4
    assert [(c.channel, c.audience) for c in order[:2]] == [
        ("sms", "older-adults"),
        ("sms", "health-workers"),
    ]


def test_the_planned_order_shares_the_longest_prompt_prefixes(settings, fake_store) -> None:  # type: ignore[no-untyped-def]
    settings = pack_settings(settings)
    campaign = small_campaign(variants=2)
    packs = PackStore(settings)
    create_campaign(packs, campaign, settings=settings, user="Ann")
    chat = scripted(campaign.size)
    generate_pack(
        packs, campaign.id, settings=settings, chat=chat, knowledge=fake_store, user="Ann",
        ask_model=True,
    )  # fmt: skip
    planned = plan_order(campaign, load_template("draft_message"), load_map("flu", settings))
    prompts = dict(zip(planned, map(_flat, chat.calls), strict=True))
    # Each prompt's evidence opens with the passages its composed message cites (they differ by
    # channel: an SMS carries one key message, a letter three), then the pack's shared set.
    best = _shared([prompts[c] for c in planned])
    for dims in itertools.permutations(("audience", "channel", "language")):
        other = sorted(prompts, key=lambda c: ([getattr(c, d) for d in dims], c.variant))
        assert best >= _shared([prompts[c] for c in other]), dims
    ones = [c for c in planned if c.variant == 1]
    worst = sorted(ones, key=lambda c: (c.language, c.channel, c.audience))  # audience innermost
    total = sum(len(prompts[c]) for c in ones)
    assert total - _shared([prompts[c] for c in ones]) < 0.8 * (
        total - _shared([prompts[c] for c in worst])
    )
    assert [c.variant for c in planned[:2]] == [1, 2]  # identical prompts back to back


def test_generate_pack_stores_every_cell_and_reports_progress(settings, fake_store) -> None:  # type: ignore[no-untyped-def]
    settings = pack_settings(settings)
    campaign = small_campaign(variants=2, seed=7)
    packs = PackStore(settings)
    create_campaign(packs, campaign, settings=settings, user="Ann")
    seen: list[Progress] = []
    chat = scripted(16)
    run = generate_pack(
        packs, campaign.id, settings=settings, chat=chat, knowledge=fake_store,
        user="Ann", on_progress=seen.append, ask_model=False,
    )  # fmt: skip
    assert run.complete and len(run.generated) == 16 and not run.failed and not run.stopped
    assert chat.calls == [] and not run.asked_model  # composed: the model was never called
    assert [p.done for p in seen] == list(range(17)) and seen[-1].total == 16
    assert seen[0].seconds_left is None and seen[-1].seconds_left == 0
    assert seen[8].seconds_left is not None and seen[8].seconds_left >= 0
    stored = {m.cell: m for m in packs.messages(campaign.id)}
    assert set(stored) == set(cells(campaign))
    message = stored[Cell("older-adults", "sms", "de", 2)]
    assert message.status == "draft" and message.revision == 1
    assert message.seed == 7 + 1000 == cell_seed(campaign, settings, message.cell)
    assert "https://impfen.example.org" in message.text  # the booking fact is in the message
    assert message.message["slots"]["booking"] == "https://impfen.example.org"
    assert message.message["version"] == "composed"
    assert message.checks.items and isinstance(message.score, int)
    events = [e for e in packs.events(campaign.id) if e.action == "generate"]
    assert len(events) == 16 and events[0].model_id == "message map" and events[0].evidence_ids
    version = load_map("flu", settings).version
    assert events[0].template_id == "map:flu" and events[0].template_version == version


def test_a_stopped_run_resumes_without_duplicates(settings, fake_store) -> None:  # type: ignore[no-untyped-def]
    settings = pack_settings(settings)
    campaign = small_campaign()
    packs = PackStore(settings)
    create_campaign(packs, campaign, settings=settings, user="Ann")
    progress: list[Progress] = []
    run = generate_pack(
        packs, campaign.id, settings=settings, chat=scripted(8), knowledge=fake_store,
        user="Ann", on_progress=progress.append, should_stop=lambda: len(progress) > 3,
        ask_model=True,
    )  # fmt: skip
    assert run.stopped and len(run.generated) == 3
    first = {m.cell: m.text for m in packs.messages(campaign.id)}
    chat = scripted(5)
    again = generate_pack(
        packs, campaign.id, settings=settings, chat=chat, knowledge=fake_store, user="Bo",
        ask_model=True,
    )  # fmt: skip
    assert again.skipped == 3 and len(again.generated) == 5 and again.complete
    assert len(chat.calls) == 5  # nothing generated twice
    stored = packs.messages(campaign.id)
    assert len(stored) == 8 and len({m.cell for m in stored}) == 8
    assert all({m.cell: m.text for m in stored}[cell] == text for cell, text in first.items())
    assert len([e for e in packs.events(campaign.id) if e.action == "generate"]) == 8


def test_a_stop_during_a_message_loses_only_that_message(settings, fake_store) -> None:  # type: ignore[no-untyped-def]
    settings = pack_settings(settings)
    campaign = small_campaign()
    packs = PackStore(settings)
    create_campaign(packs, campaign, settings=settings, user="Ann")
    chat = scripted(8)
    stop = lambda: len(chat.calls) == 2  # noqa: E731  true while the 2nd message streams
    run = generate_pack(
        packs, campaign.id, settings=settings, chat=chat, knowledge=fake_store, user="Ann",
        should_stop=stop, ask_model=True,
    )  # fmt: skip
    assert run.stopped and len(run.generated) == 1
    assert len(packs.messages(campaign.id)) == 1


class CrashingChat(ScriptedChat):
    """A model process that dies on the first call, then answers from the script."""

    def complete(self, messages, schema, **kwargs):  # type: ignore[no-untyped-def]
        if not self.calls:
            self.calls.append({"messages": messages, "schema": schema, "seed": kwargs["seed"]})
            raise ModelCrashed("The model process stopped unexpectedly (signal 9).")
        return super().complete(messages, schema, **kwargs)


def test_a_model_answer_that_fails_is_rejected_and_the_composed_text_kept(
    settings, fake_store
) -> None:  # type: ignore[no-untyped-def]
    settings = pack_settings(settings)
    campaign = small_campaign(languages=["de"], channels=["sms"])
    packs = PackStore(settings)
    create_campaign(packs, campaign, settings=settings, user="Ann")
    chat = ScriptedChat(["not json", "still not json", answer(1)])
    run = generate_pack(
        packs, campaign.id, settings=settings, chat=chat, knowledge=fake_store, user="Ann",
        ask_model=True,
    )  # fmt: skip
    first, second = plan_order(campaign, load_template("draft_message"))
    assert run.complete and not run.failed and run.asked_model
    stored = {m.cell: m.message for m in packs.messages(campaign.id)}
    assert stored[first]["version"] == "composed"
    assert stored[first]["text"] == stored[first]["composed_text"]
    assert "not valid JSON" in stored[first]["rejected_model_version"]["reasons"][0]["reason"]
    # A scripted answer that does not keep the map's key messages is the gate's to refuse.
    assert stored[second]["version"] == "composed"
    assert stored[second]["model_text"].startswith("Die Grippeimpfung schützt Sie im Winter.")
    assert stored[second]["text"] == stored[second]["composed_text"] != stored[second]["model_text"]
    reasons = [r["item"] for r in stored[second]["rejected_model_version"]["reasons"]]
    assert "fidelity" in reasons, reasons
    events = {e.cell: e for e in packs.events(campaign.id) if e.action == "generate"}
    assert "the model's version was rejected" in events[second].detail


def test_a_model_answer_that_keeps_the_key_messages_is_used(settings, fake_store) -> None:  # type: ignore[no-untyped-def]
    settings = pack_settings(settings)
    campaign = small_campaign(languages=["de"], channels=["sms"], audiences=["older-adults"])
    packs = PackStore(settings)
    create_campaign(packs, campaign, settings=settings, user="Ann")
    (cell,) = cells(campaign)
    answer_kept = kept(settings, fake_store, campaign, cell)
    run = generate_pack(
        packs, campaign.id, settings=settings, chat=ScriptedChat([answer_kept]),
        knowledge=fake_store, user="Ann", ask_model=True,
    )  # fmt: skip
    assert run.complete and not run.failed
    (message,) = packs.messages(campaign.id)
    assert message.message["version"] == "model", message.message["rejected_model_version"]
    assert message.message["rejected_model_version"] is None
    assert message.message["model"]["model_id"] == "scripted"


def test_a_crashed_model_fails_only_its_cell_and_the_run_goes_on(settings, fake_store) -> None:  # type: ignore[no-untyped-def]
    settings = pack_settings(settings)
    campaign = small_campaign(languages=["de"], channels=["sms"])
    packs = PackStore(settings)
    create_campaign(packs, campaign, settings=settings, user="Ann")
    chat = CrashingChat([answer(1)])
    run = generate_pack(
        packs, campaign.id, settings=settings, chat=chat, knowledge=fake_store, user="Ann",
        ask_model=True,
    )  # fmt: skip
    first = plan_order(campaign, load_template("draft_message"))[0]
    assert list(run.failed) == [first] and "stopped unexpectedly" in run.failed[first]
    assert len(run.generated) == 1 and not run.complete
    failed = [e for e in packs.events(campaign.id) if e.action == "generate_failed"]
    assert failed[0].cell == first and "stopped unexpectedly" in failed[0].detail
    retry = generate_pack(
        packs, campaign.id, settings=settings, chat=scripted(1), knowledge=fake_store, user="Ann",
        ask_model=True,
    )  # fmt: skip
    assert retry.generated == [first] and retry.complete


def test_asking_the_model_without_one_is_an_input_error(settings, fake_store) -> None:  # type: ignore[no-untyped-def]
    packs = PackStore(settings)
    create_campaign(packs, small_campaign(), settings=settings, user="Ann")
    with pytest.raises(InputError, match="needs a chat model"):
        generate_pack(
            packs, "flu-test", settings=settings, knowledge=fake_store, user="Ann", ask_model=True
        )
    assert packs.messages("flu-test") == []


def test_a_cell_is_stored_once_whatever_runs_at_the_same_time(settings, fake_store) -> None:  # type: ignore[no-untyped-def]
    packs, _ = generated(pack_settings(settings), fake_store)
    message = packs.messages("flu-test")[0]
    with packs.transaction() as tx:
        assert tx.insert_message(message) is False
    either_engine = "UNIQUE constraint failed|duplicate key value violates unique"
    with (
        pytest.raises(DatabaseError, match=either_engine),
        transaction(packs.path, write=True, what="test") as db,
    ):
        db.execute("INSERT INTO pack_messages SELECT * FROM pack_messages LIMIT 1")


def test_regenerate_writes_a_new_revision_with_the_next_seed(settings, fake_store) -> None:  # type: ignore[no-untyped-def]
    settings = pack_settings(settings)
    packs, _ = generated(settings, fake_store)
    cell = Cell("older-adults", "sms", "de")
    approve(packs, "flu-test", cell, user="Ann", revision=1)
    composed = packs.message("flu-test", cell).text  # type: ignore[union-attr]
    chat = ScriptedChat([{"text": "Neu: Die Grippeimpfung schützt. {booking}", "citations": [2]}])
    fresh = regenerate_cell(
        packs, "flu-test", cell, settings=settings, chat=chat, knowledge=fake_store, user="Bo",
        ask_model=True,
    )  # fmt: skip
    # The model's text drops the key messages: the gate keeps the composed text.
    assert fresh.revision == 2 and fresh.status == "draft" and fresh.text == composed
    assert fresh.message["model_text"].startswith("Neu:") and fresh.message["version"] == "composed"
    assert fresh.seed == settings.seed + 10 and chat.calls[0]["seed"] == fresh.seed
    campaign = packs.campaign("flu-test").campaign
    chat = ScriptedChat([kept(settings, fake_store, campaign, cell)])
    third = regenerate_cell(
        packs, "flu-test", cell, settings=settings, chat=chat, knowledge=fake_store, user="Bo",
        ask_model=True,
    )  # fmt: skip
    assert third.revision == 3 and third.message["version"] == "model"
    assert third.seed == settings.seed + 20
    assert packs.approvers("flu-test", cell, 2) == []
    event = packs.events("flu-test")[-1]
    assert (event.action, event.user, event.revision) == ("regenerate", "Bo", 3)
    with pytest.raises(InputError, match="not a cell"):
        regenerate_cell(
            packs, "flu-test", Cell("pregnant", "sms", "de"), settings=settings, chat=chat,
            knowledge=fake_store, user="Bo", ask_model=True,
        )  # fmt: skip


def test_a_campaign_file_run_twice_needs_resume_and_the_same_file(settings) -> None:  # type: ignore[no-untyped-def]
    packs = PackStore(settings)
    campaign = small_campaign()
    record = open_campaign(packs, campaign, settings=settings, user="cli", resume=False)
    assert record.template_id == "draft_message" and record.template_number == 0
    with pytest.raises(InputError, match="already exists .* add --resume"):
        open_campaign(packs, campaign, settings=settings, user="cli", resume=False)
    assert open_campaign(packs, campaign, settings=settings, user="cli", resume=True) == record
    with pytest.raises(InputError, match="file differs"):
        changed = small_campaign(variants=2)
        open_campaign(packs, changed, settings=settings, user="cli", resume=True)
    assert [e.action for e in packs.events("flu-test")] == ["create"]


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)  # a damaged SQLite file
def test_a_damaged_database_is_reported_and_left_alone(settings) -> None:  # type: ignore[no-untyped-def]
    path: Path = settings.data_dir / "clarion.db"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(PackStoreError, match="not a readable SQLite database .* left it untouched"):
        PackStore(settings).campaigns()
    assert path.read_bytes().startswith(b"this is not a database")
