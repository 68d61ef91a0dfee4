"""Pretests kept beside the pack (issue 29): choosing the versions of one message, storing a
pretest, and taking in answers all or none."""

from __future__ import annotations

import pytest

from comms.packs.campaign import Cell
from comms.packs.review import edit_text
from comms.packs.store import PackStore
from comms.pretest.design import Pretest, Rating
from comms.pretest.store import PretestStore
from comms.pretest.versions import Choice, choices, pick_versions
from core.errors import InputError
from core.settings import Settings
from knowledge.retrieval.store import Store
from tests.pack_helpers import generated, pack_settings, small_campaign

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

SMS = ("older-adults", "sms")


@pytest.fixture
def packs(settings: Settings, fake_store: Store) -> PackStore:
    """A composed pack with two variants; variant 2's German and English SMS edited to differ."""
    campaign = small_campaign(variants=2)
    store, _ = generated(pack_settings(settings), fake_store, campaign)
    for lang, text in (("de", "Lassen Sie sich jetzt impfen."), ("en", "Get your jab now.")):
        cell = Cell(*SMS, lang, 2)
        edit_text(store, campaign.id, cell, text, user="Ann", revision=None)
    return store


def pretest(packs: PackStore, *picked: str, languages: tuple[str, ...] = ("de",)) -> Pretest:
    versions = pick_versions(
        packs, "flu-test", *SMS, list(languages), [Choice.parse(p) for p in picked]
    )
    return Pretest(
        id="flu-sms",
        campaign_id="flu-test",
        audience=SMS[0],
        channel=SMS[1],
        languages=list(languages),
        versions=versions,
        orders=[["A", "B"], ["B", "A"]],
        items=["pme1"],
        created_by="Ann",
        created_at="2026-12-04T10:00:00",
    )


def ratings(*people: str, score: int = 4) -> list[Rating]:
    return [
        Rating(
            respondent=p, language="de", form=1, position=i + 1, version=v, item="pme1",
            score=score,
        )
        for p in people
        for i, v in enumerate("AB")
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "variant", "source"),
    [
        ("2", 2, "current"),
        ("v1", 1, "current"),
        ("V1:composed", 1, "composed"),
        ("v1:map3", 1, "map"),
    ],
)
def test_a_version_is_written_as_its_variant_and_source(
    text: str, variant: int, source: str
) -> None:
    found = Choice.parse(text)
    assert (found.variant, found.source) == (variant, source)


@pytest.mark.parametrize("text", ["", "v0", "x2", "v1:model", "1.5", "v1:map", "v1:map0x"])
def test_a_version_that_names_none_is_refused(text: str) -> None:
    with pytest.raises(InputError, match="is not a version"):
        Choice.parse(text)


def test_the_versions_on_offer_are_the_variants_present_in_every_language(packs) -> None:  # type: ignore[no-untyped-def]
    offered = [c.name for c in choices(packs, "flu-test", *SMS, ["de", "en"])]
    assert offered == ["v1", "v2", "v2:composed"]  # variant 2 was edited: its floor differs
    assert choices(packs, "flu-test", *SMS, ["de", "tr"]) == []  # no Turkish cells


def test_picked_versions_carry_each_languages_text_and_revision(packs) -> None:  # type: ignore[no-untyped-def]
    a, b = pick_versions(packs, "flu-test", *SMS, ["de", "en"], [Choice(1), Choice(2)])
    assert (a.label, b.label) == ("A", "B")
    assert b.texts == {"de": "Lassen Sie sich jetzt impfen.", "en": "Get your jab now."}
    assert b.revisions == {"de": 2, "en": 2}
    first = packs.message("flu-test", Cell(*SMS, "de", 1))
    assert first is not None and a.texts["de"] == first.text and a.revisions["de"] == 1


@pytest.mark.parametrize(
    ("picked", "languages", "error"),
    [
        (["v1"], ["de"], "compares 2 to 4 versions"),
        (["v1", "v1"], ["de"], "chosen twice"),
        (["v1", "v3"], ["de"], "no older-adults · sms message in 'de', variant 3"),
        (["v1", "v2"], ["de", "tr"], "in 'tr', variant 1"),
        (["v1", "v1:composed"], ["de"], "read the same in 'de'"),
    ],
)
def test_a_pretest_that_readers_could_not_take_is_refused(  # type: ignore[no-untyped-def]
    packs, picked: list[str], languages: list[str], error: str
) -> None:
    with pytest.raises(InputError, match=error):
        pick_versions(packs, "flu-test", *SMS, languages, [Choice.parse(p) for p in picked])


def test_a_stored_pretest_reads_back_the_same(packs, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    store = PretestStore(settings)
    made = store.create(pretest(packs, "v1", "v2"))
    assert store.get("flu-sms") == made
    assert store.of_campaign("flu-test") == [made]
    with pytest.raises(InputError, match="already exists"):
        store.create(made)
    with pytest.raises(InputError, match="No campaign 'nope'"):
        store.create(made.model_copy(update={"id": "other", "campaign_id": "nope"}))
    with pytest.raises(InputError, match="No pretest 'missing'"):
        store.get("missing")


def test_answers_are_taken_in_once_and_a_repeated_respondent_changes_nothing(  # type: ignore[no-untyped-def]
    packs, settings: Settings
) -> None:
    store = PretestStore(settings)
    made = store.create(pretest(packs, "v1", "v2"))
    first = store.add_ratings(made, ratings("r1", "r2"), filename="a.csv", data=b"a", user="Ann")
    assert (first.respondents, first.ratings, first.imported_by) == (2, 4, "Ann")
    with pytest.raises(InputError, match="imported before \\(as a.csv"):
        store.add_ratings(made, ratings("r9"), filename="again.csv", data=b"a", user="Ann")
    with pytest.raises(InputError, match="1 respondent\\(s\\) imported before \\(r2\\)"):
        store.add_ratings(made, ratings("r2", "r3"), filename="b.csv", data=b"b", user="Ann")
    with pytest.raises(InputError, match="holds no ratings"):
        store.add_ratings(made, [], filename="c.csv", data=b"c", user="Ann")
    assert {r.respondent for r in store.ratings("flu-sms")} == {"r1", "r2"}
    assert len(store.imports("flu-sms")) == 1
    store.add_ratings(made, ratings("r3"), filename="b2.csv", data=b"b2", user="Bo")
    assert store.ratings("flu-sms")[-1] == ratings("r3")[-1]


def test_a_version_composed_from_another_map_version_can_be_tested(  # type: ignore[no-untyped-def]
    packs, settings: Settings
) -> None:
    from comms.maps.library import shipped_map_text
    from comms.maps.store import MapStore

    old = "jedes Jahr ab 60 und bei chronischen Krankheiten."
    new = "jedes Jahr ab 60 und bei chronischen Erkrankungen."
    maps = MapStore(settings)
    assert choices(packs, "flu-test", *SMS, ["de"])[-1] == Choice(2, "composed")  # map 0 only
    maps.propose("flu", shipped_map_text("flu").replace(old, new), author="Ann", base_version=0)
    assert Choice(1, "map", 1) not in choices(packs, "flu-test", *SMS, ["de"])  # a proposal
    maps.approve("flu", approver="Bo")
    assert choices(packs, "flu-test", *SMS, ["de"])[-1] == Choice.parse("v1:map1")

    a, b = pick_versions(packs, "flu-test", *SMS, ["de"], [Choice(1), Choice.parse("v1:map1")])
    assert old in a.texts["de"] and new not in a.texts["de"]
    assert b.texts["de"] == a.texts["de"].replace(old, new)
    assert (b.source, b.map_version, b.variant) == ("map", 1, 1)
    with pytest.raises(InputError, match="read the same in 'de'"):
        pick_versions(packs, "flu-test", *SMS, ["de"], [Choice(1), Choice.parse("v1:map0")])
