"""Session tokens for local sign-in (comms/accounts/sessions.py): what makes one count or not."""

from __future__ import annotations

import base64

import pytest

from comms.accounts import sessions
from comms.accounts.auth import Identity, User, hash_password
from core.database import location, transaction
from core.settings import load_settings

SECRET = "a-shared-cookie-secret-of-every-replica"
RITA = User(role="reviewer", password_hash=hash_password("Impfen-2025!", rounds=4), reads=["tr"])


def test_a_token_names_the_user_with_their_current_role_and_languages() -> None:
    token = sessions.issue(SECRET, "rita", RITA)
    promoted = {"rita": RITA.model_copy(update={"role": "admin"})}
    assert sessions.verify(SECRET, token, promoted) == Identity("rita", "admin", frozenset({"tr"}))


@pytest.mark.parametrize(
    ("case", "secret", "users", "max_age"),
    [
        ("another secret signed it", "another-secret", {"rita": RITA}, 3600),
        ("expired", SECRET, {"rita": RITA}, -1),
        ("user removed", SECRET, {}, 3600),
        (
            "password changed",
            SECRET,
            {"rita": RITA.model_copy(update={"password_hash": hash_password("Neu-2026!!", 4)})},
            3600,
        ),
        (
            "now an OIDC user",
            SECRET,
            {"rita": RITA.model_copy(update={"password_hash": None})},
            3600,
        ),
        ("no secret", "", {"rita": RITA}, 3600),
    ],
)
def test_a_token_stops_counting(
    case: str, secret: str, users: dict[str, User], max_age: int
) -> None:
    token = sessions.issue(SECRET, "rita", RITA)
    assert sessions.verify(secret, token, users, max_age=max_age) is None, case


@pytest.mark.parametrize("token", ["", "rita", "e30.AAAA.BBBB"])
def test_a_made_up_or_empty_token_is_nobody(token: str) -> None:
    assert sessions.verify(SECRET, token, {"rita": RITA}) is None


def test_a_changed_name_breaks_the_signature() -> None:
    token = sessions.issue(SECRET, "rita", RITA)
    rest = token.split(".", 1)[1]
    forged = base64.urlsafe_b64encode(b'{"u":"adam","p":"x"}').decode().rstrip("=")
    assert sessions.verify(SECRET, f"{forged}.{rest}", {"adam": RITA, "rita": RITA}) is None
    assert sessions.verify(SECRET, token, {"rita": RITA}) is not None


def test_a_token_holds_neither_the_password_nor_its_hash() -> None:
    token = sessions.issue(SECRET, "rita", RITA)
    payload = base64.urlsafe_b64decode(token.split(".")[0] + "==").decode()
    assert "Impfen" not in payload and str(RITA.password_hash) not in payload
    assert RITA.password_hash and RITA.password_hash[7:29] not in payload  # not the salt either


def test_a_token_needs_a_secret() -> None:
    with pytest.raises(ValueError, match="cookieSecret"):
        sessions.issue("", "rita", RITA)


@pytest.mark.usefixtures("engine")
def test_a_signed_out_token_is_revoked_for_every_replica_until_it_would_expire() -> None:
    """Sign-out records the token in the database: a copy of the cookie (another browser, a
    replica that never saw the sign-out) no longer counts; other tokens still do."""
    settings = load_settings()
    token, other = sessions.issue(SECRET, "rita", RITA), sessions.issue(SECRET, "anna", RITA)
    assert not sessions.is_revoked(settings, token)
    sessions.revoke(settings, token, now=1000.0)
    sessions.revoke(settings, token, now=1001.0)  # signing out twice is no error
    assert sessions.is_revoked(settings, token)
    assert not sessions.is_revoked(settings, other)
    later = 1000.0 + sessions.SESSION_HOURS * 3600 + 1  # the token has expired by now
    sessions.revoke(settings, other, now=later)
    with transaction(location(settings), write=False, what="test") as db:
        digests = [row[0] for row in db.execute("SELECT digest FROM account_revoked_sessions")]
    assert len(digests) == 1 and token not in digests[0], "only a digest, and expired rows go"
    assert sessions.is_revoked(settings, other) and not sessions.is_revoked(settings, token)
