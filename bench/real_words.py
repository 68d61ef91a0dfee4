"""The real-word share of good text and of nonsense, per language: calibrates REAL_WORD_SHARE.

Run with `python -m bench.real_words`. Good text: the paragraphs and list items of the curated
corpus (knowledge/corpus/*.md, German and English) and short known-good sentences for tr, ar, uk
and ru written here. Nonsense: what the small default model wrote, snake_case and made-up words.
"""

from __future__ import annotations

import re
import statistics

from comms.checks.lint import REAL_WORD_SHARE
from comms.checks.words import real_word_share
from core.settings import PROJECT_ROOT

CORPUS = PROJECT_ROOT / "knowledge" / "corpus"
MIN_WORDS = 4  # shorter corpus lines are headings and table cells

GOOD: dict[str, tuple[str, ...]] = {
    "tr": (
        "Grip aşısı sizi ve ailenizi korur.",
        "Aşı ücretsizdir.",
        "Randevu almak için aile hekiminizi arayın.",
        "Aşıdan sonra kolunuz biraz ağrıyabilir.",
        "Kızamık aşısı çocuğunuzu ciddi hastalıktan korur.",
        "Sorularınız için sağlık ocağına gelin.",
    ),
    "ar": (
        "لقاح الإنفلونزا يحميك ويحمي عائلتك.",
        "اللقاح مجاني.",
        "اتصل بطبيبك لحجز موعد.",
        "قد تشعر بألم خفيف في الذراع بعد التطعيم.",
        "لقاح الحصبة يحمي طفلك من مرض خطير.",
        "اسأل طبيبك إذا كانت لديك أسئلة.",
    ),
    "uk": (
        "Щеплення від грипу захищає вас і вашу родину.",
        "Щеплення безкоштовне.",
        "Зателефонуйте своєму лікарю, щоб записатися.",
        "Після щеплення рука може трохи боліти.",
        "Щеплення від кору захищає вашу дитину від тяжкої хвороби.",
        "Якщо у вас є питання, запитайте лікаря.",
    ),
    "ru": (
        "Прививка от гриппа защищает вас и вашу семью.",
        "Прививка бесплатная.",
        "Позвоните своему врачу, чтобы записаться.",
        "После прививки рука может немного болеть.",
        "Прививка от кори защищает вашего ребёнка от тяжёлой болезни.",
        "Если у вас есть вопросы, спросите врача.",
    ),
}

NONSENSE: tuple[str, ...] = (
    "text_message_here_is_the_main_message_for_older_adults_about_rsv",
    "RSV-Imprezung: Die persönliche Schwimmfunksschutz für mich kostenlos",
    "text_2022_2023_2024_2025.md",
    "main_message first_sentence call_to_action",
    "Die Flambutierung vorgrätet Ihnen Kellensprimpf und Wuschelmann.",
    "Impfolung ist prafend für Senoiren, bugeln Sie eienn Trmein.",
    "The vaxxification is grompy for elderbods, bookify your jabbering.",
)


def corpus_lines(language: str) -> list[str]:
    """Paragraphs and list items of the corpus documents in a language, front matter left out."""
    lines: list[str] = []
    for path in sorted(CORPUS.glob(f"*-{language}.md")):
        body = path.read_text(encoding="utf-8").split("---", 2)[-1]
        for line in body.splitlines():
            text = re.sub(r"^[#\-\s|*]+", "", line).strip()
            if len(text.split()) >= MIN_WORDS:
                lines.append(text)
    return lines


def shares(texts: list[str] | tuple[str, ...], language: str) -> list[float]:
    """The real-word share of each text."""
    return [real_word_share(text, language).share for text in texts]


def describe(values: list[float]) -> str:
    """min, p5 and median of the shares."""
    ordered = sorted(values)
    p5 = ordered[int(0.05 * (len(ordered) - 1))]
    return f"{ordered[0]:.2f} | {p5:.2f} | {statistics.median(ordered):.2f}"


def main() -> None:
    """Print the table."""
    print("| language | good text | n | min | p5 | median |")
    print("|---|---|---|---|---|---|")
    for language in ("de", "en", "tr", "ar", "uk", "ru"):
        good = corpus_lines(language) if language in ("de", "en") else list(GOOD[language])
        source = "corpus lines" if language in ("de", "en") else "written sentences"
        print(f"| {language} | {source} | {len(good)} | {describe(shares(good, language))} |")
    for language in ("de", "en"):
        print(
            f"| {language} | nonsense | {len(NONSENSE)} | {describe(shares(NONSENSE, language))} |"
        )
    print(f"\nthreshold REAL_WORD_SHARE = {REAL_WORD_SHARE}")
    for text in NONSENSE:
        found = real_word_share(text, "de")
        print(f"- {found.share:.2f} {text[:50]!r}: unknown {', '.join(found.unknown[:4])}")
    worst = sorted(corpus_lines("de"), key=lambda t: real_word_share(t, "de").share)[:5]
    for text in worst:
        found = real_word_share(text, "de")
        print(f"- de corpus {found.share:.2f}: unknown {', '.join(found.unknown[:6])}")


if __name__ == "__main__":
    main()
