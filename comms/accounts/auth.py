"""Who may use Clarion and what each role may do: the users table, bcrypt passwords, roles.

The `account_users` table of the database maps a name to a role and, for local login, a bcrypt hash.
With OIDC login the name is the person's e-mail address and there is no hash. Passwords are
never stored or logged; only their bcrypt hashes are written. An office's old users file
(data_dir/users.yaml) is imported into an empty table the first time users are read.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_args

import bcrypt
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.catalog import base_language, load_catalog
from core.clock import now
from core.database import Connection, DatabaseError, Location, exists, location, scalar, transaction
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
COLUMNS = "name, role, password_hash, reads"
WHAT = "the users table"
log = logging.getLogger("clarion.accounts")


class User(BaseModel):
    """One user: a row of the users table (or an entry of an old users file)."""

    model_config = ConfigDict(extra="forbid")

    role: Role
    password_hash: str | None = Field(default=None, description="bcrypt; none for OIDC users")
    # languages this person reads as a native speaker: they may mark a translation checked
    reads: list[str] = Field(default_factory=list)


class UsersFile(BaseModel):
    """An old users file, imported once: `users: {name: {role, password_hash, reads}}`."""

    model_config = ConfigDict(extra="forbid")

    users: dict[str, User] = Field(default_factory=dict)


@dataclass(frozen=True)
class Identity:
    """A signed-in person: the name audit entries carry, and the role that limits them."""

    name: str
    role: Role
    reads: frozenset[str] = frozenset()  # languages read as a native speaker (base codes)

    def can(self, permission: Permission) -> bool:
        """Whether this person's role allows permission."""
        return can(self.role, permission)

    def reads_language(self, language: str) -> bool:
        """Whether this person reads language (de-einfach counts as de) as a native speaker."""
        return base_language(language) in self.reads


class UserStoreError(DatabaseError):
    """The users table cannot be read or written."""


LOCAL = Identity("local", "admin")  # auth off: the single user on localhost may do everything


class NotANativeReader(InputError):
    """Someone who does not read a language tried to mark its translation checked."""


def require_reader(who: Identity, language: str) -> str:
    """The base language a native check of language concerns; NotANativeReader unless who
    reads it and may review (approve)."""
    code = base_language(language)
    if not who.can("approve"):
        raise NotANativeReader(
            f"{who.name} is an {who.role}; only a reviewer or admin records a native check."
        )
    if not who.reads_language(code):
        listed = ", ".join(sorted(who.reads)) or "none"
        raise NotANativeReader(
            f"{who.name} does not read '{code}' (languages in their profile: {listed}); only "
            f"a reviewer who reads it may mark it checked by a native speaker. An admin adds "
            f"it with `python -m comms users languages {who.name} {code}`."
        )
    return code


class LoginThrottle:
    """Slows password guessing: after max_failures wrong tries for a name, it must wait.

    The tries are rows of the database, so every replica behind a proxy counts the same five
    (a guesser who drops the proxy's cookie lands on another replica); the clock is the wall
    clock, which the hosts share."""

    def __init__(
        self,
        settings: Settings,
        max_failures: int = 5,
        window: float = 300.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.where = location(settings)
        self.max_failures = max_failures
        self.window = window
        self._clock = clock

    def wait(self, name: str) -> float:
        """Seconds before name may try again (0 if it may try now)."""
        if not exists(self.where):
            return 0.0  # no database yet: nobody has failed
        with transaction(self.where, write=False, what=WHAT, error=UserStoreError) as db:
            recent = [
                float(row[0])
                for row in db.execute(
                    "SELECT failed_at FROM account_login_failures WHERE name = ? AND failed_at > ? "
                    "ORDER BY failed_at",
                    (_key(name), self._clock() - self.window),
                )
            ]
        if len(recent) < self.max_failures:
            return 0.0
        return max(0.0, recent[-self.max_failures] + self.window - self._clock())

    def failed(self, name: str) -> None:
        """Record a wrong password (or unknown name); forget every try older than the window."""
        at = self._clock()
        with transaction(self.where, write=True, what=WHAT, error=UserStoreError) as db:
            past = at - self.window
            db.execute("DELETE FROM account_login_failures WHERE failed_at <= ?", (past,))
            insert = "INSERT INTO account_login_failures (name, failed_at) VALUES (?, ?)"
            db.execute(insert, (_key(name), at))

    def succeeded(self, name: str) -> None:
        """Forget the failures of a name that signed in."""
        if not exists(self.where):
            return
        with transaction(self.where, write=True, what=WHAT, error=UserStoreError) as db:
            db.execute("DELETE FROM account_login_failures WHERE name = ?", (_key(name),))


def _key(name: str) -> str:
    """A name as the throttle counts it: "Anna " is anna."""
    return name.strip().lower()[:MAX_NAME_CHARS]


def can(role: Role, permission: Permission) -> bool:
    """Whether role allows permission."""
    return permission in PERMISSIONS[role]


def users_path(settings: Settings) -> Path:
    """The users file of an office from before users were in the database (data_dir/users.yaml
    unless CLARION_USERS_FILE is set): imported once, then renamed *.imported."""
    return settings.users_file or settings.data_dir / "users.yaml"


def read_users_file(path: Path) -> dict[str, User]:
    """Every user in an old users file; a missing file means no users."""
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


def load_users(settings: Settings) -> dict[str, User]:
    """Every user in the database, by name (a database not made yet has none)."""
    where = location(settings)
    if not users_path(settings).is_file() and not exists(where):
        return {}  # reading must not make the database
    with _users(settings, write=False) as db:
        rows = db.execute(f"SELECT {COLUMNS} FROM account_users ORDER BY name").fetchall()
    return {row[0]: _user(row) for row in rows}


@contextmanager
def _users(settings: Settings, *, write: bool) -> Iterator[Connection]:
    """One transaction on the users table, after importing an old users file if there is one."""
    where = location(settings)
    _import_users_file(settings, where)
    with transaction(where, write=write, what=WHAT, error=UserStoreError) as db:
        yield db


def _import_users_file(settings: Settings, where: Location) -> None:
    """Move the users of an old users file into an empty users table in one transaction, then
    rename the file so nobody edits one that is no longer read. A broken file imports nothing."""
    path = users_path(settings)
    if not path.is_file():
        return
    if exists(where) and _has_users(where):  # a read first: this runs on every click
        if path not in _WARNED:
            _WARNED.add(path)
            log.warning("%s is not read: the database holds the users; remove the file.", path)
        return
    with transaction(where, write=True, what=WHAT, error=UserStoreError) as db:
        if scalar(db, "SELECT COUNT(*) FROM account_users"):
            return  # another process imported it a moment ago
        users = read_users_file(path)  # a ConfigError rolls back: nothing imported
        for name, user in users.items():
            _insert(db, name, user)
    done = path.with_name(path.name + ".imported")
    try:
        path.rename(done)
    except OSError as exc:
        raise ConfigError(
            f"The users of {path} are now in the database, but the file cannot be renamed to "
            f"{done.name}: {exc.strerror}. Move it away; it is no longer read."
        ) from exc
    log.info("Imported %d user(s) from %s into the database; the file is now %s.",
             len(users), path, done)  # fmt: skip


_WARNED: set[Path] = set()  # users files already warned about by this process


def _has_users(where: Location) -> bool:
    with transaction(where, write=False, what=WHAT, error=UserStoreError) as db:
        return db.execute("SELECT 1 FROM account_users LIMIT 1").fetchone() is not None


def _insert(db: Connection, name: str, user: User) -> None:
    stamp = now()
    db.execute(
        f"INSERT INTO account_users ({COLUMNS}, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
        (name, user.role, user.password_hash, json.dumps(user.reads), stamp, stamp),
    )


def _user(row: Sequence[Any]) -> User:
    return User(role=row[1], password_hash=row[2], reads=json.loads(row[3]))


def _require(db: Connection, name: str) -> None:
    """An InputError unless the user exists (names match exactly, as they sign in)."""
    if not db.execute("SELECT 1 FROM account_users WHERE name = ?", (name,)).fetchone():
        raise InputError(f"No user '{name}'.")


def _update(db: Connection, name: str, column: str, value: str | None) -> None:
    sql = f"UPDATE account_users SET {column} = ?, updated_at = ? WHERE name = ?"
    db.execute(sql, (value, now(), name))


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
    return identity_of(name.strip(), user)


def identity_for_email(users: dict[str, User], email: str | None) -> Identity | None:
    """The identity of an OIDC user, by e-mail (case-insensitive), if users give it a role."""
    if not email:
        return None
    wanted = email.strip().lower()
    for name, user in users.items():
        if name.lower() == wanted:
            return identity_of(name, user)
    return None


def identity_of(name: str, user: User) -> Identity:
    """The identity of a user: name, role and the languages they read."""
    return Identity(name, user.role, frozenset(user.reads))


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


def add_user(settings: Settings, name: str, role: Role, password: str | None) -> None:
    """Add a user; without a password the user can sign in only through OIDC."""
    name = _checked_name(name)
    if role not in ROLES:
        raise InputError(f"Unknown role '{role}'; choose one of: {', '.join(ROLES)}.")
    hashed = hash_password(password) if password else None  # 0.2 s: not inside the lock
    with _users(settings, write=True) as db:
        if db.execute("SELECT 1 FROM account_users WHERE name = ?", (name,)).fetchone():
            raise InputError(f"User '{name}' exists already; use `passwd` or remove it first.")
        _insert(db, name, User(role=role, password_hash=hashed))


def set_password(settings: Settings, name: str, password: str) -> None:
    """Replace a user's password."""
    hashed = hash_password(password)  # 0.2 s: not inside the writers' lock
    with _users(settings, write=True) as db:
        _require(db, name)
        _update(db, name, "password_hash", hashed)


def remove_user(settings: Settings, name: str) -> None:
    """Remove a user; their next page load signs them out."""
    with _users(settings, write=True) as db:
        _require(db, name)
        db.execute("DELETE FROM account_users WHERE name = ?", (name,))


def set_languages(settings: Settings, name: str, languages: list[str]) -> list[str]:
    """Record the languages a user reads as a native speaker (replacing the old list); each
    must be a catalogue language, written as its base code (tr, ar, not de-einfach)."""
    with _users(settings, write=True) as db:
        _require(db, name)
        known = sorted({entry.base_language for entry in load_catalog().languages})
        wanted = list(dict.fromkeys(code.strip().lower() for code in languages if code.strip()))
        unknown = [code for code in wanted if code not in known]
        if unknown:
            raise InputError(
                f"Unknown language {', '.join(unknown)}; choose from: {', '.join(known)}."
            )
        _update(db, name, "reads", json.dumps(wanted))
    return wanted


def identity_named(settings: Settings, name: str) -> Identity:
    """The identity of a user in the database, for a command run on their behalf."""
    user = load_users(settings).get(name)
    if user is None:
        raise InputError(f"No user '{name}'; add them with `python -m comms users add`.")
    return identity_of(name, user)
