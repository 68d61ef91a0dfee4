"""Users, passwords and roles (comms.accounts.auth) and the `python -m comms users` commands:
the users table on both engines, and the import of an old users file."""

from __future__ import annotations

import io
import logging
import sys
from pathlib import Path
from typing import Any

import pytest

from comms.__main__ import main
from comms.accounts import auth
from comms.accounts.auth import Identity, LoginThrottle
from core.database import DB_FILE, location, scalar, transaction
from core.errors import ConfigError, InputError
from core.settings import Settings, load_settings

PASSWORD = "Impfen-2025!"
on_both_engines = pytest.mark.usefixtures("engine")  # the users table on SQLite and PostgreSQL


def cli(monkeypatch: pytest.MonkeyPatch, *argv: str, stdin: str = "") -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return main(["users", *argv])


@pytest.mark.parametrize(
    ("role", "permission", "allowed"),
    [
        ("editor", "write", True),
        ("editor", "generate", True),
        ("editor", "approve", False),
        ("editor", "templates", False),
        ("editor", "knowledge", False),
        ("editor", "users", False),
        ("reviewer", "generate", True),
        ("reviewer", "approve", True),
        ("reviewer", "templates", False),
        ("reviewer", "knowledge", False),
        ("admin", "approve", True),
        ("admin", "templates", True),
        ("admin", "knowledge", True),
        ("admin", "users", True),
        ("editor", "view_maps", True),
        ("editor", "edit_maps", False),
        ("reviewer", "edit_maps", False),
        ("admin", "edit_maps", True),
    ],
)
def test_roles_grant_permissions(
    role: auth.Role, permission: auth.Permission, allowed: bool
) -> None:
    assert auth.can(role, permission) is allowed
    assert Identity("x", role).can(permission) is allowed


def test_settings_read_clarion_auth_and_default_the_users_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert load_settings().auth_mode == "off"
    monkeypatch.setenv("CLARION_AUTH", "local")
    settings = load_settings()
    assert settings.auth_mode == "local"
    assert auth.users_path(settings) == tmp_path / "data" / "users.yaml"
    monkeypatch.setenv("CLARION_USERS_FILE", str(tmp_path / "elsewhere.yaml"))
    assert auth.users_path(load_settings()) == tmp_path / "elsewhere.yaml"
    monkeypatch.setenv("CLARION_AUTH", "yes")
    with pytest.raises(ValueError, match="CLARION_AUTH"):
        load_settings()


def stored(settings: Settings, name: str) -> tuple[Any, ...]:
    """A user's row as the database holds it."""
    with transaction(location(settings), write=False, what="test") as db:
        return tuple(db.execute("SELECT * FROM account_users WHERE name = ?", (name,)).fetchone())


def user_count(settings: Settings) -> int:
    with transaction(location(settings), write=False, what="test") as db:
        return int(scalar(db, "SELECT COUNT(*) FROM account_users"))


@on_both_engines
def test_cli_stores_only_a_bcrypt_hash(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["add", "anna", "--role", "editor", "--password-stdin"]
    assert cli(monkeypatch, *argv, stdin=PASSWORD + "\n") == 0
    name, role, password_hash, reads, created, changed = stored(settings, "anna")
    assert (name, role, reads) == ("anna", "editor", "[]") and created == changed
    assert password_hash.startswith("$2b$12$") and PASSWORD not in password_hash
    assert auth.verify_password(PASSWORD, password_hash)
    assert not auth.verify_password(PASSWORD + "x", password_hash)
    assert PASSWORD not in capsys.readouterr().out
    assert not auth.users_path(settings).exists(), "no users file is written"


@on_both_engines
def test_cli_add_list_passwd_remove(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    cli(monkeypatch, "add", "anna", "--role", "admin", "--password-stdin", stdin=PASSWORD)
    cli(monkeypatch, "add", "bert@amt.example", "--role", "reviewer", "--oidc")
    capsys.readouterr()
    cli(monkeypatch, "list")
    assert capsys.readouterr().out.splitlines() == [
        "anna\tadmin\tpassword",
        "bert@amt.example\treviewer\toidc",
    ]
    old_hash = auth.load_users(settings)["anna"].password_hash
    assert cli(monkeypatch, "passwd", "anna", "--password-stdin", stdin="ein-neues-Passwort") == 0
    users = auth.load_users(settings)
    assert users["anna"].password_hash != old_hash
    assert auth.authenticate(users, "anna", "ein-neues-Passwort") == Identity("anna", "admin")
    assert auth.authenticate(users, "anna", PASSWORD) is None
    assert cli(monkeypatch, "remove", "bert@amt.example") == 0
    assert list(auth.load_users(settings)) == ["anna"]


@on_both_engines
@pytest.mark.parametrize(
    ("argv", "stdin", "error"),
    [
        (["add", "anna", "--role", "editor", "--password-stdin"], "kurz", "at least 8"),
        (["add", "anna", "--role", "editor", "--password-stdin"], "ä" * 37, "longer than 72 bytes"),
        (["add", "an na", "--role", "editor", "--password-stdin"], PASSWORD, "without spaces"),
        (["add", "taken", "--role", "editor", "--password-stdin"], PASSWORD, "exists already"),
        (["passwd", "nobody", "--password-stdin"], PASSWORD, "No user 'nobody'"),
        (["passwd", "taken", "--password-stdin"], "kurz", "at least 8"),
        (["remove", "nobody"], "", "No user 'nobody'"),
        (["languages", "nobody", "tr"], "", "No user 'nobody'"),
    ],
)
def test_cli_mistakes_exit_2_with_a_reason(
    monkeypatch: pytest.MonkeyPatch,
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    stdin: str,
    error: str,
) -> None:
    auth.add_user(settings, "taken", "editor", PASSWORD)
    before = stored(settings, "taken")
    assert cli(monkeypatch, *argv, stdin=stdin) == 2
    assert error in capsys.readouterr().err
    assert list(auth.load_users(settings)) == ["taken"], "nothing was changed"
    assert stored(settings, "taken") == before


def test_cli_refuses_an_unknown_role(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SystemExit):
        cli(monkeypatch, "add", "anna", "--role", "superuser", "--oidc")


@pytest.mark.parametrize(
    ("name", "password", "expected"),
    [
        ("anna", PASSWORD, Identity("anna", "editor")),
        (" anna ", PASSWORD, Identity("anna", "editor")),
        ("Anna", PASSWORD, None),  # local names are compared exactly, as before
        ("anna", PASSWORD.upper(), None),
        ("anna", "", None),
        ("anna", PASSWORD + "x" * 80, None),
        ("nobody", PASSWORD, None),
        ("oidc@amt.example", PASSWORD, None),  # OIDC entries have no password to match
        ("", "", None),
    ],
)
def test_authenticate(
    settings: Settings, name: str, password: str, expected: Identity | None
) -> None:
    auth.add_user(settings, "anna", "editor", PASSWORD)
    auth.add_user(settings, "oidc@amt.example", "admin", None)
    assert auth.authenticate(auth.load_users(settings), name, password) == expected


@on_both_engines
def test_oidc_roles_come_from_the_e_mail_mapping(settings: Settings) -> None:
    auth.add_user(settings, "Anna.Berg@Amt.example", "reviewer", None)
    users = auth.load_users(settings)
    assert auth.identity_for_email(users, "anna.berg@amt.example") == Identity(
        "Anna.Berg@Amt.example", "reviewer"
    )
    assert auth.identity_for_email(users, "someone@amt.example") is None
    assert auth.identity_for_email(users, None) is None
    assert auth.identity_named(settings, "Anna.Berg@Amt.example").role == "reviewer"
    with pytest.raises(InputError, match="No user 'anna.berg@amt.example'"):
        auth.identity_named(settings, "anna.berg@amt.example")


@on_both_engines
def test_a_missing_database_means_no_users_and_reading_makes_none(settings: Settings) -> None:
    assert auth.load_users(settings) == {}
    assert not (settings.data_dir / DB_FILE).exists()


OLD_FILE = """users:
  anna:
    role: admin
    password_hash: {hash}
    reads: [tr, ar]
  Olga@Amt.example:
    role: reviewer
"""


def write_old_file(path: Path) -> str:
    """An office's users.yaml from before the database held users; the hash it holds."""
    hashed = auth.hash_password(PASSWORD, rounds=4)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(OLD_FILE.format(hash=hashed))
    return hashed


@on_both_engines
@pytest.mark.parametrize("first", ["read", "write"])
def test_an_old_users_file_is_imported_once_then_renamed(
    settings: Settings, first: str, caplog: pytest.LogCaptureFixture
) -> None:
    old = auth.users_path(settings)
    hashed = write_old_file(old)
    with caplog.at_level(logging.INFO, logger="clarion.accounts"):
        if first == "read":
            auth.load_users(settings)
        else:
            auth.set_languages(settings, "anna", ["tr"])
    assert f"Imported 2 user(s) from {old}" in caplog.text
    assert not old.exists() and old.with_name("users.yaml.imported").is_file()
    users = auth.load_users(settings)
    assert users == {
        "Olga@Amt.example": auth.User(role="reviewer"),
        "anna": auth.User(
            role="admin", password_hash=hashed, reads=["tr"] if first == "write" else ["tr", "ar"]
        ),
    }
    assert auth.authenticate(users, "anna", PASSWORD) == auth.identity_named(settings, "anna")
    assert auth.identity_for_email(users, "olga@amt.example") == Identity(
        "Olga@Amt.example", "reviewer"
    )


@on_both_engines
def test_clarion_users_file_names_the_file_to_import(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "shared" / "staff.yaml"
    write_old_file(elsewhere)
    monkeypatch.setenv("CLARION_USERS_FILE", str(elsewhere))
    settings = load_settings()
    assert sorted(auth.load_users(settings)) == ["Olga@Amt.example", "anna"]
    assert elsewhere.with_name("staff.yaml.imported").is_file() and not elsewhere.exists()


@on_both_engines
def test_users_in_the_database_win_over_a_users_file_that_appears_later(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    auth.add_user(settings, "erika", "editor", PASSWORD)
    write_old_file(auth.users_path(settings))
    assert list(auth.load_users(settings)) == ["erika"]
    assert auth.users_path(settings).is_file(), "left where it is, and said in the log"
    assert "is not read: the database holds the users" in caplog.text
    caplog.clear()
    assert list(auth.load_users(settings)) == ["erika"]  # every click reads the users
    assert "is not read" not in caplog.text, "said once per process, not on every click"


@on_both_engines
@pytest.mark.parametrize(
    "content",
    [
        "users:\n  anna:\n    role: superuser\n",
        "users:\n  anna:\n    role: editor\n    password: klartext\n",  # a typo'd key
        "users: [anna]\n",
        "users: {anna: {role: editor}\n",
        "users:\n  anna:\n    role: editor\n  bert:\n    role: chief\n",  # one good, one bad
    ],
)
def test_an_invalid_users_file_is_refused_and_nothing_imported(
    settings: Settings, content: str
) -> None:
    old = auth.users_path(settings)
    old.parent.mkdir(parents=True)
    old.write_text(content)
    for attempt in (
        lambda: auth.load_users(settings),
        lambda: auth.add_user(settings, "erika", "editor", PASSWORD),
    ):
        with pytest.raises(ConfigError, match=f"The users file {old} is invalid"):
            attempt()
    assert old.read_text() == content, "the file stays, to be corrected"
    assert user_count(settings) == 0


def test_a_malformed_hash_never_matches() -> None:
    assert not auth.verify_password(PASSWORD, "not-a-bcrypt-hash")
    assert not auth.verify_password(PASSWORD, PASSWORD)


def test_hash_password_rejects_bad_passwords_before_hashing() -> None:
    with pytest.raises(InputError):
        auth.hash_password("1234567")
    assert auth.verify_password("12345678", auth.hash_password("12345678", rounds=4))


@on_both_engines
def test_throttle_blocks_a_name_after_five_failures_then_forgives() -> None:
    now = [1000.0]
    throttle = LoginThrottle(load_settings(), max_failures=5, window=300.0, clock=lambda: now[0])
    for _ in range(4):
        throttle.failed("anna")
    assert throttle.wait("anna") == 0.0
    throttle.failed("Anna ")  # the same name, typed differently
    assert throttle.wait("anna") == pytest.approx(300.0)
    assert throttle.wait("bert") == 0.0, "other names are not affected"
    now[0] += 301.0
    assert throttle.wait("anna") == 0.0
    throttle.failed("anna")
    throttle.succeeded("anna")
    assert throttle.wait("anna") == 0.0


@on_both_engines
def test_the_throttle_counts_the_tries_of_every_replica_and_forgets_old_ones() -> None:
    """Two app processes on one database: a guesser who moves between them gets five tries in
    all, not five on each; tries older than the window are deleted, not kept for ever."""
    now = [5000.0]
    replicas = [LoginThrottle(load_settings(), clock=lambda: now[0]) for _ in range(2)]
    for n in range(5):
        replicas[n % 2].failed("anna")
    assert replicas[0].wait("anna") == pytest.approx(300.0)
    assert replicas[1].wait("anna") == pytest.approx(300.0)
    now[0] += 301.0
    replicas[1].failed("bert")  # any new failure clears what is past the window
    with transaction(location(load_settings()), write=False, what="test") as db:
        assert [tuple(r) for r in db.execute("SELECT name FROM account_login_failures")] == [
            ("bert",)
        ]
