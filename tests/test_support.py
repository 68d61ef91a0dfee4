"""Every sentence accounted for (comms/checks/support.py), against the shipped maps, the gate
set's fact sheet and the bundled embedder: the segmenter's spans, one row per good sentence
(key messages verbatim and reworded, logistics, frames) and one minimal change per defect class
in German, English and Turkish; then the same checks as rules of the linter (`supported`,
`never_say`, sentence-level `language`, `fidelity` with another concern's key messages)."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import comms.checks.similarity as similarity_module
from comms.campaign_facts import load_facts
from comms.checks.lint import LintContext, Meaning, lint
from comms.checks.support import Judge, Support, Verdict, sentence_spans
from comms.drafting.backing import meaning_for, support_for
from comms.drafting.draft import Request, Resolved, lint_context, resolve
from comms.drafting.write import compose_message, fidelity_required
from comms.maps.compose import Composed, compose
from comms.maps.library import LoadedMap, load_map
from comms.maps.matching import ConcernMatch
from comms.report import LintItem
from core.settings import Settings, load_settings
from tests.conftest import FakeEmbedder

ROOT = Path(__file__).resolve().parent.parent
FACTS = load_facts(ROOT / "tests" / "fixtures" / "gate" / "facts.yaml")
WHEN, WHERE, BOOKING = FACTS.when, FACTS.where, FACTS.booking  # "vom 3. März", "2. Stock"
VALUES = tuple(FACTS.filled().values())

# The messages the sentences stand in: topic, audience, channel, language.
REQUESTS = {
    "measles-de": Request("measles", "parents-infants", "letter", "de"),
    "measles-en": Request("measles", "parents-infants", "letter", "en"),
    "measles-tr": Request("measles", "parents-infants", "letter", "tr"),
    "measles-leicht": Request("measles", "parents-infants", "letter", "de-leicht"),
    "rsv-de": Request("rsv", "older-adults", "phone", "de"),
    "rsv-en": Request("rsv", "older-adults", "phone", "en"),
    "rsv-tr": Request("rsv", "older-adults", "phone", "tr"),
    "hpv-de": Request("hpv", "parents-teens", "letter", "de"),
    "hpv-en": Request("hpv", "parents-teens", "letter", "en"),
    "flu-de": Request("flu", "older-adults", "sms", "de"),
    "flu-en": Request("flu", "older-adults", "sms", "en"),
    "measles-de-sms": Request("measles", "parents-infants", "sms", "de"),
    "measles-de-workers": Request("measles", "health-workers", "email", "de"),
}
# The composed draft of a request answers this concern (None: the audience's default).
CONCERNS = {"measles-de-workers": "safety"}

OK = ""  # the row is supported
NUMBER, CLAIM, NEGATION = "supported.number", "supported.claim", "supported.negation"
TOPIC, MYTH, UNBACKED = "supported.topic", "supported.myth", "supported.unbacked"

# (message, sentence, expected rule or rules): one good sentence per row.
SUPPORTED = [
    # the map's key messages, verbatim
    ("measles-de", "Zwei MMR-Impfungen schützen zuverlässig vor Masern."),
    ("measles-en", "Two MMR vaccinations protect reliably against measles."),
    ("measles-tr", "İki MMR aşısı kızamığa karşı güvenilir koruma sağlar."),
    ("measles-leicht", "Zwei Impfungen schützen vor Masern."),
    ("measles-de", "Die STIKO empfiehlt allen Kindern zwei MMR-Impfungen, mit 11 und mit 15 Monaten."),
    ("measles-en", "STIKO recommends two MMR vaccinations for every child, at 11 and at 15 months."),
    ("measles-tr", "Çocuğunuz ilk dozu 11 aylıkken alır."),
    ("rsv-de", "Sie bekommen die Impfung gegen RSV nur einmal."),
    ("rsv-en", "You get the RSV vaccine only once."),
    ("rsv-tr", "RSV aşısı yalnızca bir kez yapılır."),
    ("hpv-de", "Die Impfung wird gut vertragen und wurde oft geprüft."),
    ("hpv-en", "The vaccine is well tolerated and has been checked many times."),
    ("hpv-en", "The vaccine does not replace cancer screening."),
    ("flu-de", "Grippe kann Menschen jeden Alters krank machen."),
    ("flu-en", "Flu can make people of any age ill."),
    # lightly reworded
    ("measles-de", "Zwei Impfungen gegen MMR schützen Ihr Kind zuverlässig vor Masern."),
    ("measles-de", "Wer sich impfen lässt, schützt damit auch Babys und kranke Menschen."),
    ("measles-de", "Masern stecken sehr leicht an und können schwer verlaufen."),
    ("measles-en", "Two doses of MMR protect your child reliably against measles."),
    ("measles-en", "Getting vaccinated also protects babies and people who are sick."),
    ("measles-tr", "İki doz MMR aşısı çocuğunuzu kızamığa karşı güvenilir şekilde korur."),
    ("measles-leicht", "Zwei Impfungen schützen Ihr Kind vor Masern."),
    ("measles-leicht", "Masern stecken leicht an."),
    ("rsv-de", "Die Impfung gegen RSV bekommen Sie nur ein einziges Mal."),
    # logistics built from the fact sheet's values
    ("measles-de", f"Kommen Sie {WHEN} ins {WHERE}."),
    ("measles-de", f"Buchen Sie Ihren Termin unter {BOOKING}."),
    ("measles-en", f"Come to {WHERE} {WHEN}."),
    ("measles-en", f"Book your appointment at {BOOKING}."),
    ("measles-tr", f"{WHEN} {WHERE} adresine gelin."),
    ("measles-leicht", f"Kommen Sie {WHEN} ins {WHERE}."),
    # greetings and sign-offs
    ("measles-de", "Liebe Eltern,"),
    ("measles-de", "Mit freundlichen Grüßen"),
    ("measles-en", "Dear parents,"),
    ("measles-en", "Kind regards."),
    ("measles-tr", "Saygılarımızla."),
    ("measles-leicht", "Viele Grüße"),
    # an answer word before the statement does not turn it round
    ("rsv-de", "Nein, Sie bekommen die Impfung gegen RSV nur einmal."),
    ("rsv-en", "No, you get the RSV vaccine only once."),
    # two approved statements, one on each side of a comma
    ("hpv-en", "It can be given at the same visit as other vaccines, for example at the J1 youth check-up at age 12 to 14."),
]  # fmt: skip

# (message, sentence, the rule or rules that name its defect): one minimal change each.
REFUSED = [
    # a number with its unit: the map says 11 and 15 months
    ("measles-de", "Die STIKO empfiehlt allen Kindern zwei MMR-Impfungen, mit 6 und mit 15 Monaten.", NUMBER),
    ("measles-en", "STIKO recommends two MMR vaccinations for every child, at 6 and at 15 months.", NUMBER),
    ("measles-tr", "Çocuğunuz ilk dozu 6 aylıkken alır.", NUMBER),
    # "once" turned into "every year" (RSV)
    ("rsv-de", "Sie bekommen die Impfung gegen RSV jedes Jahr.", CLAIM),
    ("rsv-en", "You get the RSV vaccine every year.", CLAIM),
    ("rsv-tr", "RSV aşısı her yıl yapılır.", CLAIM),
    # "well tolerated" turned into "100 % safe"
    ("hpv-de", "Die Impfung ist 100 % sicher und wurde oft geprüft.", (CLAIM, NUMBER)),
    ("hpv-en", "The vaccine is 100 % safe and has been checked many times.", (CLAIM, NUMBER)),
    ("measles-tr", "MMR aşısı %100 güvenlidir ve onlarca yıldır uygulanmaktadır.", (CLAIM, NUMBER)),
    # a negation added, or taken away
    ("measles-de", "Zwei MMR-Impfungen schützen nicht zuverlässig vor Masern.", NEGATION),
    ("measles-en", "Two MMR vaccinations do not protect reliably against measles.", NEGATION),
    ("measles-tr", "İki MMR aşısı kızamığa karşı güvenilir koruma sağlamaz.", NEGATION),
    ("measles-leicht", "Zwei Impfungen schützen nicht vor Masern.", NEGATION),
    ("hpv-de", "Die Impfung ersetzt die Vorsorge gegen Krebs.", NEGATION),
    ("hpv-en", "The vaccine replaces cancer screening.", NEGATION),
    # protection "for life"
    ("measles-de", "Zwei MMR-Impfungen schützen ein Leben lang vor Masern.", CLAIM),
    ("measles-en", "Two MMR vaccinations protect you for life against measles.", CLAIM),
    ("measles-tr", "İki MMR aşısı kızamığa karşı ömür boyu koruma sağlar.", CLAIM),
    # another topic's sentence in a flu message
    ("flu-de", "Masern können Menschen jeden Alters krank machen.", TOPIC),
    ("flu-en", "Measles can make people of any age ill.", TOPIC),
    # the myth stated as a fact
    ("measles-de", "Manche Kinder bekommen nach der MMR-Impfung doch Autismus.", (MYTH, UNBACKED)),
    ("measles-en", "Some children do develop autism after MMR.", (MYTH, UNBACKED)),
    ("measles-tr", "Bazı çocuklarda MMR aşısından sonra otizm gelişir.", (MYTH, UNBACKED)),
    ("measles-de", "Die MMR-Impfung löst Autismus aus.", (MYTH, UNBACKED)),
    ("measles-en", "The MMR vaccine causes autism.", (MYTH, UNBACKED)),
    # an invented sentence
    ("hpv-en", "After the vaccine your child will never need cancer screening.", (UNBACKED, NEGATION, CLAIM)),
    ("hpv-de", "Nach der Impfung braucht Ihr Kind nie wieder eine Krebsvorsorge.", (UNBACKED, NEGATION, CLAIM)),
    # invented logistics: a date the fact sheet does not have
    ("measles-de", f"Kommen Sie am 5. Mai ins {WHERE}.", NUMBER),
    ("measles-en", f"Come to {WHERE} on 5 May.", NUMBER),
    ("measles-tr", f"5 Mayıs'ta {WHERE} adresine gelin.", NUMBER),
    # another spelled-out number: the map says "Zwei"
    ("measles-de", "Drei MMR-Impfungen schützen zuverlässig vor Masern.", NUMBER),
    ("measles-en", "Three MMR vaccinations protect reliably against measles.", NUMBER),
    ("measles-tr", "Üç MMR aşısı kızamığa karşı güvenilir koruma sağlar.", NUMBER),
    ("measles-leicht", "Drei Impfungen schützen vor Masern.", NUMBER),
    # a number beside another number than in its statement ("after one dose 93, after two 97")
    ("measles-en", "After one dose, about 97 in 100 people are protected.", NUMBER),
    # protection against another topic's disease, which no statement claims
    ("flu-en", "The flu vaccine also protects you against COVID-19.", TOPIC),
    # wait and see where a statement says to watch out
    ("measles-de", "Bekommt Ihr Kind nach der Impfung hohes Fieber, warten Sie einfach ab.", (CLAIM, UNBACKED)),
    # the myth's own word, said without denying it
    ("measles-de", "Manche Kinder bekommen nach der Impfung später Autismus.", (MYTH, UNBACKED)),
]  # fmt: skip


def _id(message: str, sentence: str) -> str:
    return f"{message}:{sentence[:40]}"


SUPPORTED_ROWS = [pytest.param(m, s, id=_id(m, s)) for m, s in SUPPORTED]
REFUSED_ROWS = [pytest.param(m, s, r, id=_id(m, s)) for m, s, r in REFUSED]


class Messages:
    """The requests above, resolved and composed once per module, with their supports."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._made: dict[str, tuple[Resolved, LoadedMap, Composed, Support]] = {}

    def made(self, name: str) -> tuple[Resolved, LoadedMap, Composed, Support]:
        if name not in self._made:
            resolved = resolve(REQUESTS[name])
            loaded = load_map(resolved.topic.id, self.settings)
            composed = compose(loaded, topic=resolved.topic, audience=resolved.audience,
                               channel=resolved.channel, language=resolved.language,
                               facts=FACTS, concern_id=CONCERNS.get(name))  # fmt: skip
            support = support_for(resolved, loaded, FACTS, [], composed.text)
            self._made[name] = (resolved, loaded, composed, support)
        return self._made[name]

    def support(self, name: str) -> Support:
        return self.made(name)[3]

    def context(self, name: str) -> LintContext:
        resolved = self.made(name)[0]
        return lint_context(resolved, FACTS, [], 0, True)


@pytest.fixture(scope="module")
def messages(tmp_path_factory: pytest.TempPathFactory) -> Messages:
    return Messages(load_settings(data_dir=tmp_path_factory.mktemp("support-data")))


@pytest.fixture(scope="module")
def verdict(messages: Messages, real_embedder: Any) -> Callable[..., Verdict]:
    """The verdict on one sentence of a message, with the real embedder or without one."""

    def judge(name: str, sentence: str, embed: bool = True) -> Verdict:
        support = messages.support(name)
        (found,) = Judge(support, real_embedder.embed if embed else None).verdicts([sentence])
        return found

    return judge


def rules(expected: str | tuple[str, ...]) -> tuple[str, ...]:
    return expected if isinstance(expected, tuple) else (expected,)


# Sentence spans -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language", "sentences"),
    [
        (
            f"Unsere Sprechstunde ist {WHEN}. Sie finden uns im {WHERE}. Wir freuen uns.",
            "de",
            [f"Unsere Sprechstunde ist {WHEN}.", f"Sie finden uns im {WHERE}.", "Wir freuen uns."],
        ),
        (
            f"Our clinic is open {WHEN}. Come to {WHERE}. We look forward to seeing you.",
            "en",
            [f"Our clinic is open {WHEN}.", f"Come to {WHERE}.", "We look forward to seeing you."],
        ),
        (
            f"Kommen Sie {WHEN} ins {WHERE}!\nTermin: {BOOKING}",
            "de-leicht",
            [f"Kommen Sie {WHEN} ins {WHERE}!", f"Termin: {BOOKING}"],
        ),
        (
            "Liebe Eltern\nZwei MMR-Impfungen schützen zuverlässig vor Masern\nViele Grüße",
            "de",
            ["Liebe Eltern", "Zwei MMR-Impfungen schützen zuverlässig vor Masern", "Viele Grüße"],
        ),
        (
            "Merhaba\n\nİki MMR aşısı kızamığa karşı güvenilir koruma sağlar. Bize gelin.",
            "tr",
            ["Merhaba", "İki MMR aşısı kızamığa karşı güvenilir koruma sağlar.", "Bize gelin."],
        ),
    ],
    ids=["de-fact-values", "en-fact-values", "leicht-line-break", "de-no-full-stops", "tr"],
)
def test_sentence_spans_keep_fact_values_whole_and_end_at_a_line_break(
    text: str, language: str, sentences: list[str]
) -> None:
    spans = sentence_spans(text, language, VALUES)
    assert [s.text for s in spans] == sentences
    for span in spans:
        assert text[span.start : span.end] == span.text
    assert [s.start for s in spans] == sorted(s.start for s in spans)


def test_a_line_break_ends_a_sentence_without_punctuation_and_blank_lines_are_no_sentence() -> None:
    text = "Guten Tag\n\n\nZwei MMR-Impfungen schützen vor Masern. Mehr dazu\nbei uns."
    spans = sentence_spans(text, "de")
    assert [s.text for s in spans] == [
        "Guten Tag", "Zwei MMR-Impfungen schützen vor Masern.", "Mehr dazu", "bei uns.",
    ]  # fmt: skip
    assert all(text[s.start : s.end] == s.text for s in spans)


# Each sentence against the map ------------------------------------------------------------


@pytest.mark.parametrize(("message", "sentence"), SUPPORTED_ROWS)
def test_a_good_sentence_is_accounted_for(
    verdict: Callable[..., Verdict], message: str, sentence: str
) -> None:
    found = verdict(message, sentence)
    assert found.supported, f"{sentence!r} refused: {found.rule} ({found.reason}, {found.args})"
    assert found.rule == OK and found.origin


@pytest.mark.parametrize(("message", "sentence", "expected"), REFUSED_ROWS)
def test_one_wrong_change_is_refused_with_its_rule(
    verdict: Callable[..., Verdict], message: str, sentence: str, expected: str | tuple[str, ...]
) -> None:
    found = verdict(message, sentence)
    assert not found.supported, f"{sentence!r} passed as {found.origin} ({found.reason})"
    assert found.rule in rules(expected), f"{sentence!r}: {found.rule} ({found.reason})"
    assert found.reason


@pytest.mark.parametrize(
    ("message", "sentence", "claim"),
    [
        ("rsv-de", "Sie bekommen die Impfung gegen RSV jedes Jahr.", "jedes jahr"),
        ("rsv-en", "You get the RSV vaccine every year.", "every year"),
        ("measles-en", "Two MMR vaccinations protect you for life against measles.", "for life"),
    ],
)
def test_a_refused_claim_names_the_claim_the_sentence_makes(
    verdict: Callable[..., Verdict], message: str, sentence: str, claim: str
) -> None:
    found = verdict(message, sentence)
    assert (found.rule, found.args.get("claim")) == (CLAIM, claim), found.reason


def test_vectors_of_another_embedder_are_not_reused(
    messages: Messages, real_embedder: Any, verdict: Callable[..., Verdict]
) -> None:
    """A process that judged with one embedder (a fake one, an office's earlier model) and
    then with another must not compare the new model's vectors with the old one's."""
    support = messages.support("measles-en")
    sentence = "Two doses of MMR protect your child reliably against measles."
    fresh = verdict("measles-en", sentence)
    assert fresh.supported
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(similarity_module, "_VECTORS", weakref.WeakKeyDictionary())
        Judge(support, FakeEmbedder().embed).verdicts(["Kind regards, your health office."])
        (again,) = Judge(support, real_embedder.embed).verdicts([sentence])
    assert again == fresh


# Without an embedder: approved wording, logistics and frames still pass (so that a refusal
# below is the defect's, not everything's).
LEXICAL_GOOD = [
    pytest.param(m, s, id=_id(m, s))
    for m, s in [
        ("measles-de", "Zwei MMR-Impfungen schützen zuverlässig vor Masern."),
        ("measles-en", "Two MMR vaccinations protect reliably against measles."),
        ("measles-tr", "İki MMR aşısı kızamığa karşı güvenilir koruma sağlar."),
        ("measles-leicht", "Zwei Impfungen schützen vor Masern."),
        ("rsv-de", "Sie bekommen die Impfung gegen RSV nur einmal."),
        ("rsv-en", "You get the RSV vaccine only once."),
        ("hpv-en", "The vaccine is well tolerated and has been checked many times."),
        ("hpv-en", "The vaccine does not replace cancer screening."),
        ("flu-de", "Grippe kann Menschen jeden Alters krank machen."),
        ("measles-de", f"Kommen Sie {WHEN} ins {WHERE}."),
        ("measles-en", f"Book your appointment at {BOOKING}."),
        ("measles-de", "Mit freundlichen Grüßen"),
        ("measles-en", "Kind regards."),
        ("measles-tr", "Saygılarımızla."),
    ]
]


@pytest.mark.parametrize(("message", "sentence"), LEXICAL_GOOD)
def test_without_an_embedder_approved_wording_logistics_and_frames_pass(
    verdict: Callable[..., Verdict], message: str, sentence: str
) -> None:
    found = verdict(message, sentence, embed=False)
    assert found.supported, f"{sentence!r} refused: {found.rule} ({found.reason})"


@pytest.mark.parametrize(("message", "sentence", "expected"), REFUSED_ROWS)
def test_without_an_embedder_the_same_defects_are_refused(
    verdict: Callable[..., Verdict], message: str, sentence: str, expected: str | tuple[str, ...]
) -> None:
    found = verdict(message, sentence, embed=False)
    assert not found.supported, f"{sentence!r} passed as {found.origin} ({found.reason})"
    assert found.rule.startswith("supported."), found.rule


# Through the linter -----------------------------------------------------------------------

LETTER = [
    "Liebe Eltern,",
    "",
    "Zwei MMR-Impfungen schützen zuverlässig vor Masern. {schedule} "
    "Masern sind sehr ansteckend und können schwer verlaufen.",
    f"Kommen Sie {WHEN} ins {WHERE}.",
    "",
    "Mit freundlichen Grüßen",
]
GOOD_SCHEDULE = "Die STIKO empfiehlt allen Kindern zwei MMR-Impfungen, mit 11 und mit 15 Monaten."
BAD_SCHEDULE = GOOD_SCHEDULE.replace("mit 11", "mit 6")


def letter(schedule: str) -> str:
    return "\n".join(LETTER).replace("{schedule}", schedule)


def meaning(messages: Messages, name: str, embedder: Any) -> Meaning:
    resolved, loaded, _, support = messages.made(name)
    return meaning_for(resolved, loaded, support, embedder.embed)


def item(report: Any, item_id: str) -> LintItem:
    return next(i for i in report.items if i.id == item_id)


def test_the_supported_item_names_the_refused_sentence_at_its_offsets(
    messages: Messages, real_embedder: Any
) -> None:
    ctx, found = messages.context("measles-de"), meaning(messages, "measles-de", real_embedder)
    good = item(lint(letter(GOOD_SCHEDULE), ctx, found), "supported")
    assert good.passed and good.severity == "error" and good.sentences == (), good.reason
    text = letter(BAD_SCHEDULE)
    bad = item(lint(text, ctx, found), "supported")
    assert not bad.passed and bad.severity == "error"
    (refused,) = bad.sentences
    assert text[refused.start : refused.end] == refused.text == BAD_SCHEDULE
    assert (refused.check, refused.rule, refused.reason_args) == (
        "supported", NUMBER, {"number": "6"},
    )  # fmt: skip
    assert BAD_SCHEDULE[:40] in bad.reason


NO_DOCTOR = "Auch bei hohem Fieber müssen Sie nicht zum Arzt."


def test_never_say_runs_on_the_sentence_spans(messages: Messages, real_embedder: Any) -> None:
    ctx, found = messages.context("measles-de"), meaning(messages, "measles-de", real_embedder)
    assert item(lint(letter(GOOD_SCHEDULE), ctx, found), "never_say").passed
    # after a sentence whose fact values hold full stops ("vom 3. März", "2. Stock")
    text = letter(GOOD_SCHEDULE).replace(f"{WHERE}.", f"{WHERE}. {NO_DOCTOR}")
    refused = item(lint(text, ctx, found), "never_say")
    assert not refused.passed and refused.severity == "error"
    (sentence,) = refused.sentences
    assert text[sentence.start : sentence.end] == sentence.text == NO_DOCTOR
    assert (sentence.check, sentence.rule) == ("never_say", "never_say.no_doctor")


SMS = [
    "Masern sind sehr ansteckend und können schwer verlaufen.",
    "Zwei MMR-Impfungen schützen zuverlässig vor Masern.",
    f"Termin: {BOOKING}",
]
ENGLISH = "Your child's doctor is happy to answer your questions."


def test_one_english_sentence_in_a_german_sms_fails_language_by_sentence(
    messages: Messages, real_embedder: Any
) -> None:
    ctx, found = (
        messages.context("measles-de-sms"),
        meaning(messages, "measles-de-sms", real_embedder),
    )
    good = item(lint(" ".join(SMS), ctx, found), "language")
    assert good.passed and good.sentences == (), good.reason
    text = " ".join([*SMS[:2], ENGLISH, SMS[2]])
    mixed = item(lint(text, ctx, found), "language")
    assert not mixed.passed and mixed.severity == "error", mixed.reason
    (sentence,) = mixed.sentences
    assert text[sentence.start : sentence.end] == sentence.text == ENGLISH
    assert (sentence.check, sentence.rule) == ("language", "language.sentence")
    assert sentence.reason_args == {"found": "en", "wanted": "de"}


# Fidelity: the draft answers "safety" (a parents' concern); the request is health workers'.
ADULTS = [  # the measles concern "adults": its audiences include health workers
    "Nach 1970 Geborene ohne zwei Impfungen holen die MMR-Impfung nach.",
    "Ihr Impfpass zeigt, ob Ihnen eine Impfung fehlt.",
    "Wer in Praxis, Pflege, Kita oder Schule arbeitet, braucht zwei Impfungen.",
]
TIMING = [  # the measles concern "timing": parents of infants only
    "Die erste Impfung bekommt Ihr Kind mit 11 Monaten.",
    "Kommt Ihr Kind früh in die Kita, ist die Impfung ab 9 Monaten möglich.",
    "Fehlende Impfungen holt Ihr Kind jederzeit nach.",
]


def workers_version(keys: list[str]) -> str:
    return "\n".join(["Sehr geehrte Damen und Herren,", "", *keys, "", "Mit freundlichen Grüßen"])


@pytest.mark.parametrize(
    ("keys", "required", "passes", "key"),
    [
        (ADULTS, False, True, "fidelity.other_concern"),
        (ADULTS, True, False, "fidelity.lost"),
        (TIMING, False, False, "fidelity.lost"),
        (TIMING, True, False, "fidelity.lost"),
    ],
    ids=["fits-not-required", "fits-required", "not-fitting-not-required", "not-fitting-required"],
)
def test_another_concerns_key_messages_pass_only_where_not_required_and_fitting(
    messages: Messages, real_embedder: Any, keys: list[str], required: bool, passes: bool, key: str
) -> None:
    resolved, loaded, composed, support = messages.made("measles-de-workers")
    assert composed.concern_id == "safety" and len(composed.key_messages) == 3
    found = meaning_for(resolved, loaded, support, real_embedder.embed,
                        composed.key_messages, required)  # fmt: skip
    fidelity = item(lint(workers_version(keys), messages.context("measles-de-workers"), found),
                    "fidelity")  # fmt: skip
    assert (fidelity.passed, fidelity.reason_key) == (passes, key), fidelity.reason
    if passes:
        assert fidelity.reason_args["concern"] == "adults"


def test_the_drafts_own_key_messages_always_pass_fidelity(
    messages: Messages, real_embedder: Any
) -> None:
    resolved, loaded, composed, support = messages.made("measles-de-workers")
    found = meaning_for(resolved, loaded, support, real_embedder.embed, composed.key_messages)
    own = [text for _, text in composed.key_messages]
    fidelity = item(lint(workers_version(own), messages.context("measles-de-workers"), found),
                    "fidelity")  # fmt: skip
    assert (fidelity.passed, fidelity.reason_key) == (True, "fidelity.kept"), fidelity.reason


@pytest.mark.parametrize(
    ("audience", "concern", "how", "required"),
    [
        ("health-workers", "safety", "chosen", True),  # staff chose it: always kept
        ("health-workers", "safety", "meaning", False),  # matched, not this audience's
        ("parents-infants", "safety", "meaning", True),  # matched, this audience's
        ("parents-teens", None, "none", False),  # nothing matched: the general key messages
    ],
)
def test_fidelity_is_required_where_staff_chose_the_concern_or_it_fits_the_audience(
    messages: Messages, audience: str, concern: str | None, how: str, required: bool
) -> None:
    request = Request("measles", audience, "email", "de")
    floor = compose_message(request, settings=messages.settings, store=None, facts=FACTS,
                            concern_id=concern)  # fmt: skip
    floor = replace(floor, match=ConcernMatch(concern, how))
    assert fidelity_required(floor) is required
