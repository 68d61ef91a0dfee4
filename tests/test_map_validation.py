"""Message map validation: every shipped map is valid, and each kind of broken map is named
with its file, line and field; the office's override in the data directory wins."""

from __future__ import annotations

import pytest

from comms.maps.library import load_map, shipped_map_ids, shipped_map_text
from comms.maps.schema import map_hash
from comms.maps.validation import InvalidMap, check_map, parse_map
from core.settings import Settings

MEASLES = shipped_map_text("measles")

ON_TIME = """\
      - id: vaccinate-on-time
        text:
          de: Lassen Sie Ihr Kind rechtzeitig zweimal impfen.
          en: Have your child vaccinated twice, on time.
          de-einfach: Lassen Sie Ihr Kind zweimal impfen.
          de-leicht: Lassen Sie Ihr Kind 2-mal impfen.
          tr: Çocuğunuzu zamanında iki kez aşılatın.
          ar: احرص على تطعيم طفلك مرتين في الوقت المحدد.
          uk: Вчасно зробіть дитині два щеплення.
          ru: Сделайте ребёнку две прививки вовремя.
"""
AUTISM_MYTH = """\
    myth:
      de: Die MMR-Impfung löse Autismus aus.
      en: The MMR vaccine causes autism.
      de-einfach: Die MMR-Impfung mache Autismus.
      de-leicht: Die Impfung macht Autismus.
      tr: MMR aşısı otizme neden olur.
"""
AUTISM = "  - id: autism-myth\n"


def line_of(needle: str, after: str = "") -> int:
    """The 1-based line of measles.yaml where `needle` first starts, after `after`."""
    start = MEASLES.index(after) if after else 0
    return MEASLES[: MEASLES.index(needle, start)].count("\n") + 1


def edited(old: str, new: str) -> str:
    """measles.yaml with one edit, which must apply (a stale edit would test nothing)."""
    assert old in MEASLES, old
    return MEASLES.replace(old, new, 1)


@pytest.mark.parametrize("map_id", shipped_map_ids())
def test_every_shipped_map_validates_without_error(map_id: str) -> None:
    found, problems = check_map(shipped_map_text(map_id), f"{map_id}.yaml", map_id)
    assert found is not None and found.id == map_id
    assert [str(p) for p in problems if p.severity == "error"] == []
    assert parse_map(shipped_map_text(map_id), f"{map_id}.yaml", map_id).id == map_id


# (case, text, expected id, line, field, words of the message)
BROKEN = [
    (
        "fact cites an unknown corpus id",
        edited("source: rec-measles-stiko-de", "source: no-such-document"),
        "measles",
        26,
        "key_messages.0.facts.0.source",
        "'no-such-document' is not a document of the curated corpus",
    ),
    (
        "a number the source does not state",
        edited("zwei MMR-Impfungen, mit 11 und mit 15 Monaten.", "zwei MMR-Impfungen, mit 12 und mit 15 Monaten."),
        "measles",
        28,
        "key_messages.0.facts.0.text.de",
        "the number(s) 12 are not in its source (rec-measles-stiko-de)",
    ),
    (
        "a key message without English",
        edited("      en: Two MMR vaccinations protect reliably against measles.\n", ""),
        "measles",
        16,
        "key_messages.0.text",
        "needs a text in en",
    ),
    (
        "a concern with two key messages",
        edited(ON_TIME, ""),
        "measles",
        line_of("    key_messages:", after=AUTISM) + 1,  # where the list starts
        "concerns.7.key_messages",
        "at least 3 items",
    ),
    (
        "a myth concern without `myth`",
        edited(AUTISM_MYTH, ""),
        "measles",
        line_of(AUTISM),
        "concerns.7",
        "a concern of kind 'myth' needs `myth`",
    ),
    (
        "an unknown audience",
        edited(
            "audiences: [parents-infants, hesitant, parents-teens]",
            "audiences: [parents-infants, grandparents, parents-teens]",
        ),
        "measles",
        155,
        "concerns.1.audiences.1",
        "'grandparents' is not an audience",
    ),
    (
        "not YAML at all",
        "id: measles\nauthority: [unclosed\n  body: x\n",
        "measles",
        3,
        "",
        "not valid YAML",
    ),
    (
        "an unknown field",
        edited("native_review_pending: [tr, ar, uk, ru]\n", "native_review_pending: [tr, ar, uk, ru]\nreviewer: Dr. Muster\n"),
        "measles",
        13,
        "reviewer",
        "Extra inputs are not permitted",
    ),
    (
        "the file's id is not the expected one",
        MEASLES,
        "flu",
        4,
        "id",
        "the map's id is 'measles'; this file must have id 'flu'",
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected_id", "line", "field", "words"),
    [case[1:] for case in BROKEN],
    ids=[case[0] for case in BROKEN],
)
def test_a_broken_map_names_the_problem_with_line_and_field(
    text: str, expected_id: str, line: int, field: str, words: str
) -> None:
    _, problems = check_map(text, "measles.yaml", expected_id)
    errors = [(p.line, p.field) for p in problems if p.severity == "error" and words in p.message]
    assert errors == [(line, field)], [str(p) for p in problems]
    with pytest.raises(InvalidMap) as raised:
        parse_map(text, "measles.yaml", expected_id)
    where = f"measles.yaml:{line}: {field}: " if field else f"measles.yaml:{line}: "
    assert where in str(raised.value)


DUPLICATE_KEY = edited("- id: no-cure", "- id: not-harmless")


def test_a_duplicate_key_message_id_is_an_error() -> None:
    _, problems = check_map(DUPLICATE_KEY, "measles.yaml", "measles")
    assert [p.message for p in problems if p.severity == "error"] == [
        "the key message id 'not-harmless' is used twice"
    ]


def test_a_duplicate_key_message_id_points_at_the_second_use() -> None:
    _, problems = check_map(DUPLICATE_KEY, "measles.yaml", "measles")
    [problem] = [p for p in problems if p.severity == "error"]
    uses = [n for n, line in enumerate(DUPLICATE_KEY.splitlines(), 1)
            if line.strip() == "- id: not-harmless"]  # fmt: skip
    assert (problem.line, problem.field) == (uses[1], "concerns.6.key_messages.1.id")


def test_a_valid_override_in_the_data_directory_is_what_load_map_returns(
    settings: Settings,
) -> None:
    shipped = load_map("measles", settings)
    firm = edited("schützen zuverlässig vor Masern.", "schützen sehr zuverlässig vor Masern.")
    (settings.data_dir / "maps").mkdir(parents=True, exist_ok=True)
    (settings.data_dir / "maps" / "measles.yaml").write_text(firm, encoding="utf-8")
    loaded = load_map("measles", settings)
    assert loaded.version == map_hash(firm) != shipped.version == map_hash(MEASLES)
    assert loaded.text == firm
    assert loaded.map.key_messages[0].text["de"] == (
        "Zwei MMR-Impfungen schützen sehr zuverlässig vor Masern."
    )
    assert load_map("measles").version == shipped.version  # without settings: the shipped one


def test_an_invalid_override_raises_naming_file_and_line(settings: Settings) -> None:
    broken = edited("source: rec-measles-stiko-de", "source: no-such-document")
    (settings.data_dir / "maps").mkdir(parents=True, exist_ok=True)
    (settings.data_dir / "maps" / "measles.yaml").write_text(broken, encoding="utf-8")
    with pytest.raises(InvalidMap) as raised:
        load_map("measles", settings)
    assert "measles.yaml:26: key_messages.0.facts.0.source:" in str(raised.value)
    assert [p.line for p in raised.value.problems] == [26]
