"""Users, passwords and roles (comms.accounts.auth) and the `python -m comms users` commands."""

from __future__ import annotations

import io
import stat
import sys
from pathlib import Path

import pytest
import yaml

from comms.__main__ import main
from comms.accounts import auth
from comms.accounts.auth import Identity, LoginThrottle
from core.errors import ConfigError, InputError
from core.settings import load_settings

PASSWORD = "Impfen-2025!"


@pytest.fixture
def users_file(tmp_path: Path) -> Path:
    return tmp_path / "data" / "users.yaml"


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


def test_cli_stores_only_a_bcrypt_hash_in_a_private_file(
    monkeypatch: pytest.MonkeyPatch, users_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["add", "anna", "--role", "editor", "--password-stdin"]
    assert cli(monkeypatch, *argv, stdin=PASSWORD + "\n") == 0
    raw = users_file.read_text()
    assert PASSWORD not in raw
    stored = yaml.safe_load(raw)["users"]["anna"]
    assert stored["role"] == "editor"
    assert stored["password_hash"].startswith("$2b$12$")
    assert stat.S_IMODE(users_file.stat().st_mode) == 0o600
    assert auth.verify_password(PASSWORD, stored["password_hash"])
    assert not auth.verify_password(PASSWORD + "x", stored["password_hash"])
    assert PASSWORD not in capsys.readouterr().out


def test_cli_add_list_passwd_remove(
    monkeypatch: pytest.MonkeyPatch, users_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli(monkeypatch, "add", "anna", "--role", "admin", "--password-stdin", stdin=PASSWORD)
    cli(monkeypatch, "add", "bert@amt.example", "--role", "reviewer", "--oidc")
    capsys.readouterr()
    cli(monkeypatch, "list")
    assert capsys.readouterr().out.splitlines() == [
        "anna\tadmin\tpassword",
        "bert@amt.example\treviewer\toidc",
    ]
    old_hash = auth.load_users(users_file)["anna"].password_hash
    assert cli(monkeypatch, "passwd", "anna", "--password-stdin", stdin="ein-neues-Passwort") == 0
    users = auth.load_users(users_file)
    assert users["anna"].password_hash != old_hash
    assert auth.authenticate(users, "anna", "ein-neues-Passwort") == Identity("anna", "admin")
    assert auth.authenticate(users, "anna", PASSWORD) is None
    assert cli(monkeypatch, "remove", "bert@amt.example") == 0
    assert list(auth.load_users(users_file)) == ["anna"]


@pytest.mark.parametrize(
    ("argv", "stdin", "error"),
    [
        (["add", "anna", "--role", "editor", "--password-stdin"], "kurz", "at least 8"),
        (["add", "anna", "--role", "editor", "--password-stdin"], "ä" * 37, "longer than 72 bytes"),
        (["add", "an na", "--role", "editor", "--password-stdin"], PASSWORD, "without spaces"),
        (["add", "taken", "--role", "editor", "--password-stdin"], PASSWORD, "exists already"),
        (["passwd", "nobody", "--password-stdin"], PASSWORD, "No user 'nobody'"),
        (["remove", "nobody"], "", "No user 'nobody'"),
    ],
)
def test_cli_mistakes_exit_2_with_a_reason(
    monkeypatch: pytest.MonkeyPatch,
    users_file: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    stdin: str,
    error: str,
) -> None:
    auth.add_user(users_file, "taken", "editor", PASSWORD)
    before = users_file.read_bytes()
    assert cli(monkeypatch, *argv, stdin=stdin) == 2
    assert error in capsys.readouterr().err
    assert users_file.read_bytes() == before, "nothing was changed"


def test_cli_refuses_an_unknown_role(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SystemExit):
        cli(monkeypatch, "add", "anna", "--role", "superuser", "--oidc")


@pytest.mark.parametrize(
    ("name", "password", "expected"),
    [
        ("anna", PASSWORD, Identity("anna", "editor")),
        (" anna ", PASSWORD, Identity("anna", "editor")),
        ("anna", PASSWORD.upper(), None),
        ("anna", "", None),
        ("anna", PASSWORD + "x" * 80, None),
        ("nobody", PASSWORD, None),
        ("oidc@amt.example", PASSWORD, None),  # OIDC entries have no password to match
        ("", "", None),
    ],
)
def test_authenticate(
    users_file: Path, name: str, password: str, expected: Identity | None
) -> None:
    auth.add_user(users_file, "anna", "editor", PASSWORD)
    auth.add_user(users_file, "oidc@amt.example", "admin", None)
    assert auth.authenticate(auth.load_users(users_file), name, password) == expected


def test_oidc_roles_come_from_the_e_mail_mapping(users_file: Path) -> None:
    auth.add_user(users_file, "Anna.Berg@Amt.example", "reviewer", None)
    users = auth.load_users(users_file)
    assert auth.identity_for_email(users, "anna.berg@amt.example") == Identity(
        "Anna.Berg@Amt.example", "reviewer"
    )
    assert auth.identity_for_email(users, "someone@amt.example") is None
    assert auth.identity_for_email(users, None) is None


@pytest.mark.parametrize(
    "content",
    [
        "users:\n  anna:\n    role: superuser\n",
        "users:\n  anna:\n    role: editor\n    password: klartext\n",  # a typo'd key is an error
        "users: [anna]\n",
        "users: {anna: {role: editor}\n",
    ],
)
def test_an_invalid_users_file_is_a_config_error(users_file: Path, content: str) -> None:
    users_file.parent.mkdir(parents=True)
    users_file.write_text(content)
    with pytest.raises(ConfigError, match="users file"):
        auth.load_users(users_file)


def test_a_missing_users_file_means_no_users(users_file: Path) -> None:
    assert auth.load_users(users_file) == {}


def test_a_malformed_hash_never_matches() -> None:
    assert not auth.verify_password(PASSWORD, "not-a-bcrypt-hash")
    assert not auth.verify_password(PASSWORD, PASSWORD)


def test_hash_password_rejects_bad_passwords_before_hashing() -> None:
    with pytest.raises(InputError):
        auth.hash_password("1234567")
    assert auth.verify_password("12345678", auth.hash_password("12345678", rounds=4))


def test_throttle_blocks_a_name_after_five_failures_then_forgives() -> None:
    now = [1000.0]
    throttle = LoginThrottle(max_failures=5, window=300.0, clock=lambda: now[0])
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
