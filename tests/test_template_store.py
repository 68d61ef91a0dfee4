"""Template validation, the versioned store on real SQLite, and the `templates` CLI."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from comms.drafting.template import SHIPPED_DIR, load_template, shipped_text
from comms.templates.store import (
    InvalidTemplate,
    TemplateConflict,
    TemplateStore,
    TemplateStoreError,
    Version,
)
from comms.templates.validation import validate
from core.errors import TemplateError
from core.settings import Settings
from tests.conftest import ROOT

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

DRAFT = shipped_text("draft_message")


def edit(old: str, new: str, text: str = DRAFT) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


WARMER = edit("You are a public-health", "You are our office's public-health")
SHORTER = edit("You write short, friendly", "You write very short, friendly")


@pytest.fixture
def store(settings: Settings) -> TemplateStore:
    return TemplateStore(settings)


# --- Validation: every problem, each naming its line or variable ---------------------------


@pytest.mark.parametrize("template_id", sorted(p.stem for p in SHIPPED_DIR.glob("*.yaml")))
def test_shipped_templates_are_valid(template_id: str) -> None:
    assert validate(shipped_text(template_id), expected_id=template_id) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            edit("{{ concern }}", "{{ concen }}"),
            "user part, line 17, file line 41: variable 'concen' is used but not declared",
        ),
        (
            edit("Topic: {{ topic.label.en }}", "Topic: {{ topic.label.en }"),
            "user part, line 8, file line 32: unexpected '}'",
        ),
        (
            edit("{% endfor %}", ""),
            "user part, line 19, file line 43: Unexpected end of template. Jinja was looking "
            "for the following tags: 'endfor' or 'else'.",
        ),
        (
            edit("{{ channel.structure }}", "{{ channel.structure | shout }}"),
            "user part, line 16, file line 40: No filter named 'shout'.",
        ),
        (
            edit("  passages: The retrieved", "  pasages: The retrieved"),
            "variables, file line 7: variable 'passages' is required (Clarion passes it) "
            "but not declared",
        ),
        (
            edit("  passages: The retrieved", "  pasages: The retrieved"),
            "variables, file line 7: variable 'pasages' is declared but Clarion does not pass "
            "it to 'draft_message'",
        ),
        (
            edit("  passages: The retrieved", "  pasages: The retrieved"),
            "user part, line 2, file line 26: variable 'passages' is used but not declared",
        ),
        (edit("version: 1", "version: 1\ncolour: red"), "file line 7: colour: Extra inputs"),
        (edit("version: 1\n", ""), "version: Field required"),
        (
            edit("id: draft_message", "id: drafting"),
            "id, file line 1: id is 'drafting' but this is the 'draft_message'",
        ),
        (edit("topic.label.en", "topic.lable.en"), "'dict object' has no attribute 'lable'"),
        ("id: [unclosed", "file line 1: not valid YAML: expected ',' or ']'"),
        ("- a list", "the file must be a mapping"),
    ],
)
def test_validation_names_the_line_or_variable(text: str, expected: str) -> None:
    problems = [str(p) for p in validate(text, expected_id="draft_message")]
    assert any(expected in p for p in problems), problems


def test_validation_reports_every_problem_at_once() -> None:
    text = edit(
        "{{ concern }}", "{{ concen }} {{ concern.__class__ }}", edit("version: 1", "version: x")
    )
    problems = validate(text, expected_id="draft_message")
    assert len(problems) == 3
    assert {p.part for p in problems} == {"", "user"}


def test_an_unknown_template_id_is_refused() -> None:
    (problem,) = validate(edit("id: draft_message", "id: drafting"))
    assert str(problem).startswith("id, file line 1: unknown template id 'drafting'; known: adapt")


def test_a_template_for_another_task_is_refused() -> None:
    (problem,) = validate(DRAFT, expected_id="faq_entry")
    assert (
        str(problem)
        == "id, file line 1: id is 'draft_message' but this is the 'faq_entry' template"
    )


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ("{% include '/etc/passwd' %}", "a template may not include, import or extend files"),
        ("{% import 'os' as os %}", "a template may not include, import or extend files"),
        ("{% from 'x' import y %}", "a template may not include, import or extend files"),
        ("{% extends 'base' %}", "a template may not include, import or extend files"),
        ("{{ concern.__class__ }}", "the sandbox forbids access to '__class__'"),
        ("{{ concern['__class__'] }}", "the sandbox forbids access to '__class__'"),
        ("{{ cycler.__init__.__globals__ }}", "the sandbox forbids access to '__init__'"),
        ("{{ lipsum._private }}", "the sandbox forbids access to '_private'"),
    ],
)
def test_sandbox_forbidden_statements_are_problems(
    statement: str, message: str, store: TemplateStore
) -> None:
    text = edit("Answer this concern: {{ concern }}", f"Answer this concern: {statement}")
    problems = [str(p) for p in validate(text, expected_id="draft_message")]
    assert f"user part, line 17, file line 41: {message}" in problems
    with pytest.raises(InvalidTemplate, match="was not saved"):
        store.save("draft_message", text, author="Eve", base_version=0)
    assert store.history("draft_message")[0].number == 0


def test_sandbox_blocks_format_string_escapes_at_render_time() -> None:
    text = edit("{{ concern }}", "{{ '{0.__class__}'.format(concern) }}")
    problems = validate(text, expected_id="draft_message")
    assert len(problems) == 1 and "does not render" in str(problems[0])


# --- The versioned store -------------------------------------------------------------------


def test_before_any_change_the_shipped_default_is_version_0(store: TemplateStore) -> None:
    current = store.current("draft_message")
    assert (current.number, current.text, current.action) == (0, DRAFT, "shipped")
    assert current.content_hash == load_template("draft_message").content_hash
    assert [v.number for v in store.history("draft_message")] == [0]


def test_save_creates_a_version_and_the_override_file(
    store: TemplateStore, settings: Settings
) -> None:
    saved = store.save(
        "draft_message", WARMER, author=" Ann  Example ", comment="warmer", base_version=0
    )
    assert (saved.number, saved.author, saved.comment, saved.action) == (
        1,
        "Ann Example",
        "warmer",
        "save",
    )
    assert saved.created_at.endswith("+00:00")
    loaded = load_template("draft_message", settings)
    assert saved.content_hash == loaded.content_hash != load_template("draft_message").content_hash
    assert (settings.data_dir / "templates" / "draft_message.yaml").read_text() == WARMER
    assert [p.name for p in (settings.data_dir / "templates").iterdir()] == ["draft_message.yaml"]
    history = store.history("draft_message")
    assert [(v.number, v.text) for v in history] == [(1, WARMER), (0, DRAFT)]
    assert (SHIPPED_DIR / "draft_message.yaml").read_text() == DRAFT  # shipped stays read-only


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)  # the SQLite file itself
def test_database_uses_wal_and_prefixed_tables(store: TemplateStore) -> None:
    store.save("faq_entry", edit("honestly and kindly", "kindly", shipped_text("faq_entry")),
               author="Ann", base_version=0)  # fmt: skip
    with sqlite3.connect(store.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    # One migration list makes every store's tables; each table's prefix names its owner.
    owners = ("template_", "map_", "pack_", "pretest", "audit_", "source_", "evidence_",
              "account_", "clarion_migrations", "sqlite_")  # fmt: skip
    assert "template_versions" in tables and all(name.startswith(owners) for name in tables)


def test_diff_between_any_two_versions(store: TemplateStore) -> None:
    store.save("draft_message", WARMER, author="Ann", base_version=0)
    store.save("draft_message", SHORTER, author="Bob", base_version=1)
    diff = store.diff("draft_message", 1, 2)
    assert diff.startswith("--- draft_message v1\n+++ draft_message v2\n")
    assert "-  You are our office's public-health" in diff
    assert "+  You are a public-health communication writer. You write very short" in diff
    assert store.diff("draft_message", 0, 0) == ""
    assert "-  You are a public-health" in store.diff("draft_message", 0, 1)
    with pytest.raises(TemplateError, match="no version 7; versions are 0 to 2"):
        store.diff("draft_message", 0, 7)


def test_revert_is_a_new_version_and_history_is_kept(
    store: TemplateStore, settings: Settings
) -> None:
    store.save("draft_message", WARMER, author="Ann", base_version=0)
    store.save("draft_message", SHORTER, author="Bob", base_version=1)
    reverted = store.revert("draft_message", 1, author="Cem", base_version=2)
    assert (reverted.number, reverted.text, reverted.action) == (3, WARMER, "revert")
    assert reverted.comment == "revert to version 1"
    assert [(v.number, v.author) for v in store.history("draft_message")] == [
        (3, "Cem"),
        (2, "Bob"),
        (1, "Ann"),
        (0, "Clarion"),
    ]
    assert store.version("draft_message", 2).text == SHORTER
    assert load_template("draft_message", settings).content_hash == reverted.content_hash


def test_reset_to_the_shipped_default_is_a_new_version(
    store: TemplateStore, settings: Settings
) -> None:
    store.save("draft_message", WARMER, author="Ann", base_version=0)
    reset = store.reset("draft_message", author="Bob")
    assert (reset.number, reset.text, reset.action) == (2, DRAFT, "reset")
    assert load_template("draft_message", settings) == load_template("draft_message")
    assert len(store.history("draft_message")) == 3


def test_a_stale_base_version_is_a_conflict_and_stores_nothing(
    store: TemplateStore, settings: Settings
) -> None:
    store.save("draft_message", WARMER, author="Ann", base_version=0)
    with pytest.raises(TemplateConflict) as caught:
        store.save("draft_message", SHORTER, author="Bob", base_version=0)
    conflict = caught.value
    assert (conflict.base_version, conflict.theirs.number, conflict.theirs.author) == (0, 1, "Ann")
    assert conflict.diff.startswith("--- draft_message v1 (Ann)\n+++ your edit\n")
    assert "-  You are our office's" in conflict.diff and "+  You are a public" in conflict.diff
    assert "you started from version 0, but version 1 by Ann" in str(conflict)
    assert [v.number for v in store.history("draft_message")] == [1, 0]
    assert (settings.data_dir / "templates" / "draft_message.yaml").read_text() == WARMER
    with pytest.raises(TemplateConflict):
        store.revert("draft_message", 0, author="Bob", base_version=0)


@pytest.mark.parametrize("editors", [2, 8])
def test_concurrent_saves_exactly_one_wins_and_nothing_is_lost(
    store: TemplateStore, editors: int
) -> None:
    texts = [edit("You are a", f"You are editor {n}'s") for n in range(editors)]
    start = threading.Barrier(editors)
    results: dict[int, Version | TemplateConflict] = {}

    def save(n: int) -> None:
        start.wait()
        try:
            results[n] = store.save("draft_message", texts[n], author=f"E{n}", base_version=0)
        except TemplateConflict as exc:
            results[n] = exc

    threads = [threading.Thread(target=save, args=(n,)) for n in range(editors)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [n for n, r in results.items() if isinstance(r, Version)]
    assert len(results) == editors and len(winners) == 1
    (winner,) = winners
    assert [(v.number, v.text) for v in store.history("draft_message")] == [
        (1, texts[winner]),
        (0, DRAFT),
    ]
    for n, result in results.items():
        if n != winner:  # each loser is told who won and sees their own edit in the diff
            assert isinstance(result, TemplateConflict) and result.theirs.author == f"E{winner}"
            assert f"+  You are editor {n}'s" in result.diff


def test_concurrent_stores_in_separate_processes(store: TemplateStore, settings: Settings) -> None:
    script = (
        "import sys; from core.settings import load_settings; "
        "from comms.templates.store import TemplateStore, TemplateConflict; "
        "s = TemplateStore(load_settings()); t = s.current('draft_message').text; "
        "n = sys.argv[1]\n"
        "try: s.save('draft_message', t.replace('You are a', 'You are ' + n), author=n, "
        "base_version=0); print('won')\n"
        "except TemplateConflict: print('conflict')"
    )
    runs = [
        subprocess.Popen([sys.executable, "-c", script, f"P{n}"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        for n in range(4)
    ]  # fmt: skip
    outcomes = sorted(run.communicate(timeout=120)[0].strip() for run in runs)
    assert outcomes == ["conflict", "conflict", "conflict", "won"]
    assert [v.number for v in store.history("draft_message")] == [1, 0]


@pytest.mark.parametrize(
    ("author", "message"),
    [("", "Enter your name"), ("   ", "Enter your name"), ("x" * 101, "longer than 100")],
)
def test_an_author_is_required(store: TemplateStore, author: str, message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        store.save("draft_message", WARMER, author=author, base_version=0)
    assert [v.number for v in store.history("draft_message")] == [0]  # nothing was saved


def test_saving_unchanged_text_is_refused(store: TemplateStore) -> None:
    with pytest.raises(TemplateError, match="Nothing to save: the text is the same as version 0"):
        store.save("draft_message", DRAFT, author="Ann", base_version=0)


def test_unknown_template_ids_are_refused(store: TemplateStore) -> None:
    with pytest.raises(TemplateError, match="No template '../secrets'; choose one of: adapt"):
        store.history("../secrets")
    with pytest.raises(InvalidTemplate, match="id is 'draft_message' but this is the 'faq_entry'"):
        store.save("faq_entry", WARMER, author="Ann", base_version=0)


def test_a_hand_placed_override_becomes_version_0(store: TemplateStore, settings: Settings) -> None:
    folder = settings.data_dir / "templates"
    folder.mkdir(parents=True)
    (folder / "draft_message.yaml").write_text(SHORTER)
    baseline = store.current("draft_message")
    assert (baseline.number, baseline.text) == (0, SHORTER)
    assert baseline.comment.startswith("override file found in")
    store.save("draft_message", WARMER, author="Ann", base_version=0)
    assert store.version("draft_message", 0).text == SHORTER  # kept in history


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)  # the SQLite file itself
def test_a_corrupt_database_is_reported_and_left_untouched(
    store: TemplateStore, settings: Settings
) -> None:
    settings.data_dir.mkdir(parents=True)
    garbage = b"This is not SQLite at all.\n" * 200
    store.path.write_bytes(garbage)
    for attempt in (
        lambda: store.history("draft_message"),
        lambda: store.save("draft_message", WARMER, author="Ann", base_version=0),
    ):
        with pytest.raises(TemplateStoreError, match="is not a readable SQLite database"):
            attempt()
    assert store.path.read_bytes() == garbage
    assert sorted(p.name for p in settings.data_dir.iterdir()) == ["clarion.db"]


# --- The CLI -------------------------------------------------------------------------------


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "comms", "templates", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_check_exit_codes(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(WARMER)
    bad = tmp_path / "bad.yaml"
    bad.write_text(edit("{{ concern }}", "{{ concen }}", edit("version: 1", "version: one")))
    ok = cli("check", str(good))
    assert (ok.returncode, ok.stdout.strip()) == (0, f"{good}: ok")
    failed = cli("check", str(bad))
    assert failed.returncode == 2
    assert f"{bad}: user part, line 17, file line 41: variable 'concen' is used" in failed.stderr
    assert f"{bad}: file line 6: version: Input should be a valid integer" in failed.stderr
    missing = cli("check", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 2 and "error: Cannot read" in missing.stderr


def test_cli_versions_round_trip(tmp_path: Path, settings: Settings) -> None:
    source = tmp_path / "draft_message.yaml"
    source.write_text(WARMER)
    imported = cli("import", str(source), "--author", "Ann")
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.strip() == "draft_message: version 1 is now current"
    listing = cli("list").stdout.splitlines()
    assert "draft_message\tv1\timport\t" in "\n".join(listing) and len(listing) == 5
    history = cli("history", "draft_message").stdout.splitlines()
    assert [line.split("\t")[0] for line in history] == ["v1", "v0"]
    assert history[0].endswith("Ann\timported from draft_message.yaml")
    assert cli("show", "draft_message").stdout == WARMER
    assert cli("show", "draft_message", "--version", "0").stdout == DRAFT
    assert "+  You are our office's" in cli("diff", "draft_message", "0", "1").stdout
    reverted = cli("revert", "draft_message", "0", "--author", "Bob")
    assert reverted.returncode == 0 and "version 2 is now current" in reverted.stdout
    assert load_template("draft_message", settings) == load_template("draft_message")
    exported = tmp_path / "out.yaml"
    assert cli("export", "draft_message", str(exported), "--version", "1").returncode == 0
    assert exported.read_text() == WARMER


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("show", "nope"), "error: No template 'nope'"),
        (
            ("show", "draft_message", "--version", "3"),
            "error: Template 'draft_message' has no version 3",
        ),
        (
            ("revert", "draft_message", "4", "--author", "A"),
            "error: Template 'draft_message' has no version 4",
        ),
    ],
)
def test_cli_mistakes_exit_2(args: tuple[str, ...], message: str) -> None:
    result = cli(*args)
    assert result.returncode == 2 and result.stderr.startswith(message), result.stderr


def test_cli_revert_needs_an_author() -> None:
    result = cli("revert", "draft_message", "0")
    assert result.returncode == 2 and "--author" in result.stderr
