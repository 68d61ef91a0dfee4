"""Never-say rules (catalog/never_say.yaml): each rule's own examples, hand-written cases
per class in German, English and Turkish, the check's report, approved texts, and a catalogue
with a typo refused with the rule named."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from comms.checks.never_say import (
    NEVER_SAY,
    check_never_say,
    compiled_rules,
    find_never_say,
    load_never_say,
    never_say_rules,
)
from comms.checks.sentences import split_sentences
from comms.checks.texts import check_reason, load_check_texts
from comms.report import LintItem, LintReport
from core.errors import ConfigError

RULES = never_say_rules()
CODES = [rule.code for rule in RULES]
ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = [
    pytest.param(rule.code, language, text, kind, id=f"{rule.code}-{language}-{kind}{n}")
    for rule in RULES
    for language, spec in rule.languages.items()
    for kind, texts in (("bad", spec.bad), ("good", spec.good))
    for n, text in enumerate(texts)
]


def codes(text: str, language: str) -> list[str]:
    return [hit.code for hit in find_never_say(text, language)]


def spans(text: str, language: str) -> list[tuple[int, int, str]]:
    found, start = [], 0
    for sentence in split_sentences(text, language):
        start = text.index(sentence, start)
        found.append((start, start + len(sentence), sentence))
        start += len(sentence)
    return found


def check(text: str, language: str, approved: tuple[str, ...] = ()) -> LintItem:
    return check_never_say(spans(text, language), language, approved)


def test_the_catalogue_has_the_classes_of_the_issue_and_more() -> None:
    must = {"no_doctor", "no_screening", "absolute_safety", "lifelong_protection",
            "threat_shaming", "against_recommendation", "live_vaccine_pregnancy"}  # fmt: skip
    assert must <= set(CODES) and len(CODES) >= 10
    assert len(CODES) == len(set(CODES))


@pytest.mark.parametrize("rule", RULES, ids=CODES)
def test_every_rule_has_german_english_and_turkish_patterns_with_examples(rule) -> None:  # type: ignore[no-untyped-def]
    assert {"de", "en", "tr"} <= set(rule.languages)
    assert rule.name.de and rule.name.en and rule.message.de and rule.message.en
    for spec in rule.languages.values():
        assert spec.bad and spec.good


@pytest.mark.parametrize(("code", "language", "text", "kind"), EXAMPLES)
def test_the_catalogue_examples(code: str, language: str, text: str, kind: str) -> None:
    found = codes(text, language)
    if kind == "bad":
        assert code in found, f"{code} misses {text!r}"
    else:
        assert found == [], f"{text!r} is a near-miss of {code}, yet {found} matched"


# Hand-written cases beside the catalogue's own: (code, language, text, whether it matches).
HAND = [
    # no_doctor
    ("no_doctor", "de", "Bei Fieber nach der Impfung brauchen Sie keinen Arzt.", True),
    ("no_doctor", "de", "Einen Arzt müssen Sie dafür nicht aufsuchen, der Arztbesuch ist überflüssig.", True),
    ("no_doctor", "de", "Wird das Fieber nicht besser, rufen Sie Ihre Ärztin an.", False),
    ("no_doctor", "en", "You do not have to call your GP about a rash after the jab.", True),
    ("no_doctor", "en", "Call your doctor if your baby does not drink.", False),
    ("no_doctor", "tr", "Ateş olsa bile hekime gitmenize gerek yok.", True),
    ("no_doctor", "tr", "Ateş düşmezse doktorunuzu arayın.", False),
    # no_screening
    ("no_screening", "de", "Ihre Tochter muss nach der Impfung nie mehr zur Krebsvorsorge.", True),
    ("no_screening", "de", "Die Krebsvorsorge bleibt auch nach der Impfung wichtig.", False),
    ("no_screening", "en", "Your daughter won't need smear tests once she has had the HPV vaccine.", True),
    ("no_screening", "en", "Cervical screening is still needed after the vaccine.", False),
    ("no_screening", "tr", "Aşıdan sonra smear testine gerek kalmaz.", True),
    ("no_screening", "tr", "Aşı olsanız da kanser taramasına gitmeye devam edin.", False),
    # absolute_safety
    ("absolute_safety", "de", "Die Impfung ist hundertprozentig sicher.", True),
    ("absolute_safety", "de", "Nebenwirkungen wie ein roter Arm gehen meist nach zwei Tagen weg.", False),
    ("absolute_safety", "en", "There are no side effects at all.", True),
    ("absolute_safety", "en", "Side effects are usually mild, such as a sore arm.", False),
    ("absolute_safety", "tr", "Bu aşının yan etkisi yok.", True),
    ("absolute_safety", "tr", "Kolda hafif ağrı olabilir.", False),
    # lifelong_protection
    ("lifelong_protection", "de", "Sie sind danach lebenslang geschützt.", True),
    ("lifelong_protection", "de", "Der Schutz hält nicht für immer.", False),
    ("lifelong_protection", "en", "One jab and you are protected for the rest of your life.", True),
    ("lifelong_protection", "en", "Protection does not last for life, so a booster follows.", False),
    ("lifelong_protection", "tr", "Bu aşı sizi ömür boyu korur.", True),
    ("lifelong_protection", "tr", "Koruma zamanla azalır.", False),
    # threat_shaming
    ("threat_shaming", "de", "Mitarbeitende ohne Impfung werden der Leitung gemeldet.", True),
    ("threat_shaming", "de", "Egoistische Eltern gefährden andere Kinder.", True),
    ("threat_shaming", "de", "Melden Sie sich gern bei Ihrem Gesundheitsamt.", False),
    ("threat_shaming", "en", "Those who refuse could be disciplined.", True),
    ("threat_shaming", "en", "We report measles cases to protect the community? No: cases of measles are notifiable.", False),
    ("threat_shaming", "tr", "Aşı olmayan personel işten çıkarılacak.", True),
    ("threat_shaming", "tr", "Sorularınızı bize iletebilirsiniz.", False),
    # against_recommendation
    ("against_recommendation", "de", "Menschen über 60 brauchen keine Grippeimpfung.", True),
    ("against_recommendation", "de", "Die Grippeimpfung ist für Menschen über 60 empfohlen.", False),
    ("against_recommendation", "en", "Healthy teenagers should not get the HPV vaccine.", True),
    ("against_recommendation", "en", "If you are healthy and under 60, basic protection is enough.", False),
    ("against_recommendation", "en", "People with a weak immune system should not get live vaccines.", False),
    ("against_recommendation", "tr", "Gençlerin HPV aşısına ihtiyacı yok.", True),
    ("against_recommendation", "tr", "HPV aşısı gençlere önerilir.", False),
    # live_vaccine_pregnancy
    ("live_vaccine_pregnancy", "de", "Auch Schwangere können die MMR-Impfung bekommen.", True),
    ("live_vaccine_pregnancy", "de", "Schwangere erhalten keine Lebendimpfstoffe.", False),
    ("live_vaccine_pregnancy", "en", "Pregnant women should have the chickenpox vaccine.", True),
    ("live_vaccine_pregnancy", "en", "Live vaccines are not given in pregnancy.", False),
    ("live_vaccine_pregnancy", "tr", "Gebelikte MMR aşısı yaptırabilirsiniz.", True),
    ("live_vaccine_pregnancy", "tr", "MMR aşısı gebelikte yapılmaz.", False),
    # delay_or_space_doses
    ("delay_or_space_doses", "de", "Strecken Sie die Impfungen lieber über mehrere Monate.", True),
    ("delay_or_space_doses", "de", "Mehrere Impfungen an einem Tag sind sicher.", False),
    ("delay_or_space_doses", "en", "Spread the shots out over several visits.", True),
    ("delay_or_space_doses", "en", "Your child can have several vaccines at one visit.", False),
    ("delay_or_space_doses", "tr", "Aşıları aralıklarla yaptırın.", True),
    ("delay_or_space_doses", "tr", "Aynı gün birkaç aşı yapılabilir.", False),
    # natural_immunity_better
    ("natural_immunity_better", "de", "Die Windpocken durchzumachen ist natürlicher und besser.", True),
    ("natural_immunity_better", "de", "Windpocken können schwer verlaufen.", False),
    ("natural_immunity_better", "en", "Natural immunity from catching the disease is better.", True),
    ("natural_immunity_better", "en", "The vaccine is a safer way to become immune than catching measles.", False),
    ("natural_immunity_better", "tr", "Doğal bağışıklık daha güçlüdür.", True),
    ("natural_immunity_better", "tr", "Aşı daha güvenli bir yoldur.", False),
    # vaccine_causes_disease
    ("vaccine_causes_disease", "de", "Die Impfung löst Autismus aus.", True),
    ("vaccine_causes_disease", "de", "Die Impfung löst keinen Autismus aus.", False),
    ("vaccine_causes_disease", "en", "The vaccine causes autism in some children.", True),
    ("vaccine_causes_disease", "en", "The vaccine does not cause autism.", False),
    ("vaccine_causes_disease", "tr", "Aşı otizme yol açar.", True),
    ("vaccine_causes_disease", "tr", "Aşı otizme yol açmaz.", False),
    # guaranteed_protection
    ("guaranteed_protection", "de", "Mit der Impfung können Sie sich nie wieder anstecken.", True),
    ("guaranteed_protection", "de", "Die Impfung senkt das Risiko deutlich.", False),
    ("guaranteed_protection", "en", "The jab gives complete protection.", True),
    ("guaranteed_protection", "en", "I never get the flu.", False),
    ("guaranteed_protection", "tr", "Aşı yüzde yüz koruma sağlar.", True),
    ("guaranteed_protection", "tr", "Aşı riski çok azaltır.", False),
    # alternative_instead
    ("alternative_instead", "de", "Homöopathie ersetzt die Impfung.", True),
    ("alternative_instead", "de", "Händewaschen hilft, ersetzt die Impfung aber nicht.", False),
    ("alternative_instead", "en", "Vitamin C works just as well as the flu jab.", True),
    ("alternative_instead", "en", "Vitamins do not replace the vaccine.", False),
    ("alternative_instead", "tr", "Aşı yerine vitamin alın.", True),
    ("alternative_instead", "tr", "Vitaminler aşının yerini tutmaz.", False),
    # imperial_units: the passage a German office's model may be given (an ACIP summary)
    ("imperial_units", "de", "Etwa 5 bis 15 von 100 bekommen Fieber von 103°F oder höher.", True),
    ("imperial_units", "de", "Etwa 5 bis 15 von 100 bekommen Fieber von 39,4 °C oder höher.", False),
    ("imperial_units", "en", "About 5 to 15 in 100 get a fever of 103°F (39.4°C) or higher.", True),
    ("imperial_units", "en", "About 5 to 15 in 100 get a fever of 39.4 °C or higher.", False),
    ("imperial_units", "tr", "100 kişiden 5 ila 15'inde 103 °F ateş olur.", True),
    ("imperial_units", "tr", "100 kişiden 5 ila 15'inde 39,4 °C ateş olur.", False),
]  # fmt: skip


@pytest.mark.parametrize(("code", "language", "text", "hit"), HAND)
def test_hand_written_cases(code: str, language: str, text: str, hit: bool) -> None:
    assert (code in codes(text, language)) is hit, codes(text, language)


def test_every_class_has_hand_written_cases_in_german_english_and_turkish() -> None:
    for code in CODES:
        for language in ("de", "en", "tr"):
            kinds = {hit for c, lang, _, hit in HAND if c == code and lang == language}
            assert kinds == {True, False}, (code, language)


ISSUE = [  # sentences a strong model added to otherwise good versions (issue 24)
    ("en", "After the vaccine, your child will never need cancer screening.", "no_screening"),
    ("en", "Still, some children do develop autism after MMR, so you may want to space out the "
     "doses.", "delay_or_space_doses"),
    ("de", "Auch bei hohem Fieber müssen Sie nicht zum Arzt.", "no_doctor"),
    ("en", "Staff who refuse the flu vaccine will be reported to their manager.", "threat_shaming"),
]  # fmt: skip


@pytest.mark.parametrize(("language", "text", "code"), ISSUE)
def test_the_defects_of_the_issue_are_refused(language: str, text: str, code: str) -> None:
    item = check(text, language)
    assert not item.passed and item.sentences[0].rule == f"never_say.{code}"


@pytest.mark.parametrize("language", ["de-einfach", "de-leicht"])
def test_einfache_and_leichte_sprache_use_the_german_rules(language: str) -> None:
    assert [r.code for r in compiled_rules(language)] == [r.code for r in compiled_rules("de")]
    assert codes("Sie müssen nicht zum Arzt.", language) == ["no_doctor"]


def test_a_failed_check_names_each_sentence_its_place_and_its_class() -> None:
    text = "Die Grippe-Impfung schützt Sie. Sie ist 100 % sicher. Danach brauchen Sie keinen Arzt."
    item = check(text, "de")
    assert (item.id, item.passed, item.severity, item.points, item.max_points) == (
        "never_say", False, "error", 0, 1
    )  # fmt: skip
    first, second = item.sentences
    assert text[first.start : first.end] == first.text == "Sie ist 100 % sicher."
    assert text[second.start : second.end] == "Danach brauchen Sie keinen Arzt."
    assert (first.check, first.rule) == ("never_say", "never_say.absolute_safety")
    assert second.rule == second.reason_key == "never_say.no_doctor"
    assert (
        first.reason == 'Promises a vaccine with no risk or side effects at all ("100 % sicher").'
    )
    assert item.reason.startswith("Sentence 2 promises a vaccine with no risk")
    assert "; sentence 3 says there is no need to see a doctor" in item.reason
    assert item.reason_key == "never_say.absolute_safety.at@2+never_say.no_doctor.at@3"
    report = LintReport(items=(item,), score=0)
    assert [v.rule for v in report.refused_sentences()] == [first.rule, second.rule]


def test_a_clean_text_passes_scored() -> None:
    item = check("Die Impfung wird einmal gegeben. Sie ist gut verträglich.", "de")
    assert (item.passed, item.points, item.max_points, item.sentences) == (True, 1, 1, ())
    assert item.reason_key == "never_say.ok"


def test_a_sentence_gets_one_verdict_for_the_first_rule_in_catalogue_order() -> None:
    text = "The vaccine is 100% safe and protects you for life."
    assert codes(text, "en") == ["absolute_safety", "lifelong_protection"]
    (verdict,) = check(text, "en").sentences
    assert verdict.rule == "never_say.absolute_safety"


def test_reasons_read_in_german_through_the_check_texts() -> None:
    item = check("Ein Arztbesuch ist nicht nötig.", "de")
    assert (
        check_reason(item, "de")
        == "Satz 1 sagt, man müsse nicht zum Arzt („Arztbesuch ist nicht nötig“)."
    )
    verdict = item.sentences[0]
    as_item = item.model_copy(update={"reason": verdict.reason, "reason_key": verdict.reason_key,
                                      "reason_args": verdict.reason_args})  # fmt: skip
    assert (
        check_reason(as_item, "de")
        == "Sagt, man müsse nicht zum Arzt („Arztbesuch ist nicht nötig“)."
    )
    assert check_reason(check("Alles gut.", "de"), "de").startswith("Kein Satz sagt")


def test_every_rule_has_its_reasons_in_the_check_texts_made_from_its_message() -> None:
    texts = load_check_texts()
    assert {"de", "en"} <= set(texts.names["never_say"])
    for rule in RULES:
        one, at = (
            texts.reasons[f"never_say.{rule.code}"],
            texts.reasons[f"never_say.{rule.code}.at"],
        )
        for lang in ("de", "en"):
            message = getattr(rule.message, lang)
            quoted = " („{found}“)" if lang == "de" else ' ("{found}")'
            assert one[lang] == message[:1].upper() + message[1:] + quoted, rule.code
            assert at[lang] == ("Satz {n} " if lang == "de" else "sentence {n} ") + message + quoted


# Approved texts: what the office signed is not held against a message.
def test_a_hit_that_stands_in_an_approved_text_is_not_a_defect() -> None:
    sentence = "Babys, die schon einmal eine Darmeinstülpung hatten, bekommen die Impfung nicht."
    assert not check(sentence, "de").passed
    assert check(sentence, "de", (sentence,)).passed


def test_an_approved_statement_in_other_words_is_not_a_defect() -> None:
    approved = ("For now, STIKO does not advise a COVID-19 vaccine for healthy children.",)
    same = "STIKO does not currently recommend the COVID-19 vaccine for healthy children."
    other = "Older adults do not need the COVID-19 vaccine."
    assert not check(same, "en").passed
    assert check(same, "en", approved).passed
    assert not check(other, "en", approved).passed  # another group: still refused


def test_a_number_the_approved_text_lacks_keeps_the_hit() -> None:
    approved = ("Gesunde Erwachsene unter 60 brauchen keine Auffrischung jedes Jahr.",)
    assert check(
        "Gesunde Erwachsene unter 60 brauchen keine jährliche Auffrischung.", "de", approved
    ).passed
    assert not check(
        "Gesunde Erwachsene unter 75 brauchen keine jährliche Auffrischung.", "de", approved
    ).passed


def test_lifelong_protection_is_fine_only_where_an_approved_text_says_it() -> None:
    sentence = "Nach zwei Impfungen sind Sie lebenslang geschützt."
    assert not check(sentence, "de").passed
    assert not check(
        sentence, "de", ("Zwei MMR-Impfungen schützen zuverlässig vor Masern.",)
    ).passed
    assert check(sentence, "de", ("Zwei Impfungen schützen ein Leben lang.",)).passed


def test_a_myth_in_the_composers_frame_and_the_maps_questions_say_nothing_wrong() -> None:
    frames = yaml.safe_load((ROOT / "catalog/compose.yaml").read_text(encoding="utf-8"))
    wrong = []
    for path in sorted((ROOT / "catalog/maps").glob("*.yaml")):
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        for concern in loaded["concerns"]:
            for language, question in concern.get("question", {}).items():
                wrong += [(path.stem, question) for s in split_sentences(question, language)
                          if codes(s, language)]  # fmt: skip
            for language, myth in (concern.get("myth") or {}).items():
                framed = frames[language]["myth"].replace("{myth}", myth.rstrip("."))
                wrong += [(path.stem, framed)] if codes(framed, language) else []
    assert wrong == []


def test_the_sentences_it_refuses_are_reported_in_any_language_with_rules() -> None:
    for language, text in [("ar", "اللقاح آمن 100%."), ("uk", "Щеплення захищає на все життя."),
                           ("ru", "Прививка MMR вызывает аутизм.")]:  # fmt: skip
        assert not check(text, language).passed, language


# The catalogue is data: a typo is an error that names the rule.
def write(tmp_path: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    raw = yaml.safe_load(NEVER_SAY.read_text(encoding="utf-8"))
    edit(raw)
    path = tmp_path / "never_say.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def test_an_unknown_field_is_refused_naming_the_rule(tmp_path: Path) -> None:
    def typo(raw: dict) -> None:  # type: ignore[type-arg]
        raw["rules"][1]["languages"]["en"]["exampels"] = ["x"]

    with pytest.raises(ConfigError, match=r"(?s)rule 'no_screening'.*exampels.*Extra inputs"):
        load_never_say(write(tmp_path, typo))


def test_a_rule_without_examples_is_refused(tmp_path: Path) -> None:
    def bare(raw: dict) -> None:  # type: ignore[type-arg]
        del raw["rules"][0]["languages"]["de"]["good"]

    with pytest.raises(ConfigError, match=r"(?s)rule 'no_doctor'.*good"):
        load_never_say(write(tmp_path, bare))


@pytest.mark.parametrize(
    ("pattern", "message"),
    [("(unclosed", "not a valid regex"), ("{NOPE} arzt", "unknown name {NOPE}")],
)
def test_a_broken_pattern_is_refused_naming_rule_and_language(
    tmp_path: Path, pattern: str, message: str
) -> None:
    def broken(raw: dict) -> None:  # type: ignore[type-arg]
        raw["rules"][0]["languages"]["de"]["patterns"].append(pattern)

    with pytest.raises(ConfigError, match=rf"rule 'no_doctor', language de: .*{message}"):
        load_never_say(write(tmp_path, broken))


def test_a_code_used_twice_or_an_unknown_language_is_refused(tmp_path: Path) -> None:
    def twice(raw: dict) -> None:  # type: ignore[type-arg]
        raw["rules"][1]["code"] = raw["rules"][0]["code"]

    with pytest.raises(ConfigError, match="codes used twice: no_doctor"):
        load_never_say(write(tmp_path, twice))

    def klingon(raw: dict) -> None:  # type: ignore[type-arg]
        raw["rules"][0]["languages"]["tlh"] = raw["rules"][0]["languages"]["de"]

    with pytest.raises(ConfigError, match="(?s)rule 'no_doctor'.*tlh"):
        load_never_say(write(tmp_path, klingon))
