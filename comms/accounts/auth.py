"""Who may use Clarion and what each role may do: the users file, bcrypt passwords, roles.

The users file (data_dir/users.yaml by default) maps a name to a role and, for local login, a
bcrypt hash. With OIDC login the name is the person's e-mail address and there is no hash.
Passwords are never stored or logged; only their bcrypt hashes are written.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal, get_args

import bcrypt
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.errors import ConfigError, InputError
from core.settings import Settings

Role = Literal["editor", "reviewer", "admin"]
Permission = Literal[
    "write", "generate", "approve", "templates", "knowledge", "users", "view_maps", "edit_maps",
    "office",
]  # fmt: skip
ROLES: tuple[Role, ...] = get_args(Role)

# Each role includes the one before it: a reviewer also writes, an admin may do everything.
PERMISSIONS: dict[Role, frozenset[Permission]] = {
    "editor": frozenset({"write", "generate", "view_maps"}),
    "reviewer": frozenset({"write", "generate", "approve", "view_maps"}),
    "admin": frozenset(get_args(Permission)),
}

MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_BYTES = 72  # bcrypt reads at most 72 bytes; longer passwords are refused, not cut
BCRYPT_ROUNDS = 12
MAX_NAME_CHARS = 100


class User(BaseModel):
    """One entry of the users file."""

    model_config = ConfigDict(extra="forbid")

    role: Role
    password_hash: str | None = Field(default=None, description="bcrypt; none for OIDC users")


class UsersFile(BaseModel):
    """The whole users file: `users: {name: {role, password_hash}}`."""

    model_config = ConfigDict(extra="forbid")

    users: dict[str, User] = Field(default_factory=dict)


@dataclass(frozen=True)
class Identity:
    """A signed-in person: the name audit entries carry, and the role that limits them."""

    name: str
    role: Role

    def can(self, permission: Permission) -> bool:
        """Whether this person's role allows permission."""
        return can(self.role, permission)


LOCAL = Identity("local", "admin")  # auth off: the single user on localhost may do everything


class LoginThrottle:
    """Slows password guessing: after max_failures wrong tries for a name, it must wait."""

    def __init__(
        self,
        max_failures: int = 5,
        window: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.window = window
        self._clock = clock
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()  # one throttle serves every session of the server

    def wait(self, name: str) -> float:
        """Seconds before name may try again (0 if it may try now)."""
        with self._lock:
            recent = self._recent(name.strip().lower())
            if len(recent) < self.max_failures:
                return 0.0
            return max(0.0, recent[-self.max_failures] + self.window - self._clock())

    def failed(self, name: str) -> None:
        """Record a wrong password (or unknown name)."""
        with self._lock:
            key = name.strip().lower()
            self._failures[key] = [*self._recent(key), self._clock()]
            if len(self._failures) > 10_000:  # many names guessed: forget the oldest
                self._failures.pop(next(iter(self._failures)))

    def succeeded(self, name: str) -> None:
        """Forget the failures of a name that signed in."""
        with self._lock:
            self._failures.pop(name.strip().lower(), None)

    def _recent(self, key: str) -> list[float]:
        since = self._clock() - self.window
        return [when for when in self._failures.get(key, []) if when > since]


def can(role: Role, permission: Permission) -> bool:
    """Whether role allows permission."""
    return permission in PERMISSIONS[role]


def users_path(settings: Settings) -> Path:
    """The users file the settings name (data_dir/users.yaml unless CLARION_USERS_FILE is set)."""
    return settings.users_file or settings.data_dir / "users.yaml"


def load_users(path: Path) -> dict[str, User]:
    """Every user in the file; a missing file means no users yet."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"The users file {path} cannot be read: {exc.strerror}.") from exc
    try:
        return UsersFile.model_validate(yaml.safe_load(raw) or {}).users
    except (yaml.YAMLError, ValidationError) as exc:
        raise ConfigError(f"The users file {path} is invalid: {exc}") from exc


def save_users(path: Path, users: dict[str, User]) -> None:
    """Atomically replace the users file, readable by its owner only (it holds hashes)."""
    data = UsersFile(users=users).model_dump(exclude_none=True)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=".users.", dir=path.parent)  # mode 0600
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            yaml.safe_dump(data, out, allow_unicode=True, sort_keys=True)
        os.replace(temp, path)
    except OSError as exc:
        raise ConfigError(f"The users file {path} cannot be written: {exc.strerror}.") from exc


def hash_password(password: str, rounds: int = BCRYPT_ROUNDS) -> str:
    """The bcrypt hash of password, after checking its length."""
    size = len(password.encode("utf-8"))
    if len(password) < MIN_PASSWORD_CHARS:
        raise InputError(f"The password needs at least {MIN_PASSWORD_CHARS} characters.")
    if size > MAX_PASSWORD_BYTES:
        raise InputError(
            f"The password is longer than {MAX_PASSWORD_BYTES} bytes (bcrypt's limit)."
        )
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds=rounds)).decode("ascii")


def verify_password(password: str, password_hash: str) -> bool:
    """Whether password matches the bcrypt hash (False for a malformed hash or long password)."""
    secret = password.encode("utf-8")
    if len(secret) > MAX_PASSWORD_BYTES:
        return False
    try:
        return bcrypt.checkpw(secret, password_hash.encode("ascii"))
    except ValueError:
        return False


def authenticate(users: dict[str, User], name: str, password: str) -> Identity | None:
    """The identity for a correct local name and password, else None."""
    user = users.get(name.strip())
    if user is None or user.password_hash is None:
        verify_password(password, _dummy_hash())  # as slow as a wrong password: names stay secret
        return None
    if not verify_password(password, user.password_hash):
        return None
    return Identity(name.strip(), user.role)


def identity_for_email(users: dict[str, User], email: str | None) -> Identity | None:
    """The identity of an OIDC user, by e-mail (case-insensitive), if the file gives a role."""
    if not email:
        return None
    wanted = email.strip().lower()
    for name, user in users.items():
        if name.lower() == wanted:
            return Identity(name, user.role)
    return None


@cache
def _dummy_hash() -> str:
    return bcrypt.hashpw(b"no-such-user", bcrypt.gensalt(rounds=BCRYPT_ROUNDS)).decode("ascii")


def _checked_name(name: str) -> str:
    name = name.strip()
    if (
        not name
        or len(name) > MAX_NAME_CHARS
        or any(c.isspace() or not c.isprintable() for c in name)
    ):
        raise InputError(
            f"A user name needs 1 to {MAX_NAME_CHARS} printable characters without spaces."
        )
    return name


def add_user(path: Path, name: str, role: Role, password: str | None) -> None:
    """Add a user; without a password the user can sign in only through OIDC."""
    users = load_users(path)
    name = _checked_name(name)
    if name in users:
        raise InputError(f"User '{name}' exists already; use `passwd` or remove it first.")
    if role not in ROLES:
        raise InputError(f"Unknown role '{role}'; choose one of: {', '.join(ROLES)}.")
    users[name] = User(role=role, password_hash=hash_password(password) if password else None)
    save_users(path, users)


def set_password(path: Path, name: str, password: str) -> None:
    """Replace a user's password."""
    users = load_users(path)
    if name not in users:
        raise InputError(f"No user '{name}'.")
    users[name] = users[name].model_copy(update={"password_hash": hash_password(password)})
    save_users(path, users)


def remove_user(path: Path, name: str) -> None:
    """Remove a user; their next page load signs them out."""
    users = load_users(path)
    if users.pop(name, None) is None:
        raise InputError(f"No user '{name}'.")
    save_users(path, users)
