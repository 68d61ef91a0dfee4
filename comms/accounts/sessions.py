"""Session tokens for local sign-in: who signed in, signed with the server's secret, expiring.

A Streamlit session lives in one server process. Behind a load balancer with several replicas,
a browser whose replica dies reconnects to another one, which starts a new, empty session. With
local sign-in (CLARION_AUTH=local) the app keeps a token in a cookie so that the other replica
knows the person without asking for the password again. The token holds the user's name and a
fingerprint of their password hash, signed (HMAC-SHA1, itsdangerous) with Streamlit's
server.cookieSecret, which every replica shares. It never holds the password or its hash.

A token stops working when it expires (SESSION_HOURS after sign-in), when the user is removed
from the database, when their password changes (the fingerprint no longer matches), or when
the secret changes. Signing out deletes the cookie in that browser and records the token as
revoked in the database, so a copy of it stops working too, on every replica.
docs/deployment.md, "Replicas behind HAProxy", says where each piece of state lives.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from itsdangerous import BadSignature, URLSafeTimedSerializer

from comms.accounts.auth import Identity, User, identity_of
from core.database import DatabaseError, exists, location, transaction
from core.settings import Settings

SESSION_HOURS = 12  # one working day: a stolen cookie is worth at most that long
COOKIE = "clarion_session"
SALT = "clarion-local-session"  # keeps these tokens apart from anything else the secret signs
WHAT = "the signed-out sessions"


def issue(secret: str, name: str, user: User) -> str:
    """A signed token naming a local user who just gave the right password."""
    if not secret:
        raise ValueError("A session token needs server.cookieSecret.")
    return _serializer(secret).dumps({"u": name, "p": _fingerprint(secret, user)})


def verify(
    secret: str, token: str, users: dict[str, User], max_age: int = SESSION_HOURS * 3600
) -> Identity | None:
    """The identity a token names, if it is signed with secret, younger than max_age seconds,
    and its user still exists with the same password; else None."""
    if not secret or not token:
        return None
    try:
        payload = _serializer(secret).loads(token, max_age=max_age)
    except BadSignature:  # also SignatureExpired, its subclass
        return None
    if not isinstance(payload, dict):
        return None
    name, fingerprint = payload.get("u"), payload.get("p")
    if not isinstance(name, str) or not isinstance(fingerprint, str):
        return None
    user = users.get(name)
    if user is None or user.password_hash is None:
        return None
    if not hmac.compare_digest(fingerprint, _fingerprint(secret, user)):
        return None  # the password changed since the token was issued
    return identity_of(name, user)


class SessionStoreError(DatabaseError):
    """The revoked tokens cannot be read or written."""


def revoke(settings: Settings, token: str, now: float | None = None) -> None:
    """Sign-out: the token stops working everywhere, not only in the browser that deleted it.
    Only a digest of the token is kept, until the token would have expired anyway."""
    at = time.time() if now is None else now
    with transaction(location(settings), write=True, what=WHAT, error=SessionStoreError) as db:
        db.execute("DELETE FROM account_revoked_sessions WHERE expires_at <= ?", (at,))
        db.execute(
            "INSERT INTO account_revoked_sessions (digest, expires_at) VALUES (?, ?) "
            "ON CONFLICT (digest) DO NOTHING",
            (_digest(token), at + SESSION_HOURS * 3600),
        )


def is_revoked(settings: Settings, token: str) -> bool:
    """Whether someone signed this token out."""
    where = location(settings)
    if not exists(where):
        return False
    with transaction(where, write=False, what=WHAT, error=SessionStoreError) as db:
        sql = "SELECT 1 FROM account_revoked_sessions WHERE digest = ?"
        return db.execute(sql, (_digest(token),)).fetchone() is not None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=SALT)


def _fingerprint(secret: str, user: User) -> str:
    """A keyed digest of the password hash: changes with the password, reveals nothing of it."""
    digest = hmac.new(secret.encode(), (user.password_hash or "").encode(), hashlib.sha256)
    return digest.hexdigest()[:32]
