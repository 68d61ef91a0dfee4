"""The installation's secret and the pack manifest signature made with it (HMAC-SHA256).

Export signs a pack's manifest; import keeps a pack's review state only when the signature is
this installation's. The secret is 32 random bytes (hex) in data_dir/installation.key, made on
first use, readable by its owner only. Another installation, or anyone who edits the ZIP, cannot
make a signature this one accepts.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

from core.errors import ConfigError
from core.settings import Settings

KEY_FILE = "installation.key"
KEY_BYTES = 32
PREFIX = "hmac-sha256:"


def key_path(settings: Settings) -> Path:
    """Where the installation's secret lives."""
    return settings.data_dir / KEY_FILE


def installation_secret(settings: Settings) -> bytes:
    """The installation's secret, made (0600) on first use."""
    path = key_path(settings)
    if not path.exists():
        _create(path)
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            f"{path} can be read by other users; it signs this installation's packs. "
            f"Run `chmod 600 {path}`."
        )
    try:
        secret = bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (UnicodeDecodeError, ValueError):
        secret = b""
    if len(secret) < KEY_BYTES:
        raise ConfigError(
            f"{path} is not a Clarion installation key; move it away and a new one is made "
            "(packs signed with the old key then import as drafts)."
        )
    return secret


def sign(settings: Settings, content: bytes) -> str:
    """The signature of content with this installation's secret."""
    digest = hmac.new(installation_secret(settings), content, hashlib.sha256).hexdigest()
    return PREFIX + digest


def signed_here(settings: Settings, content: bytes, signature: str) -> bool:
    """Whether signature is this installation's signature of content."""
    if not signature.startswith(PREFIX):
        return False
    return hmac.compare_digest(sign(settings, content).encode(), signature.encode("utf-8"))


def _create(path: Path) -> None:
    """Write a new secret; of two processes racing, the first one's file stays."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    handle = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(handle, "w", encoding="ascii") as out:
            out.write(secrets.token_hex(KEY_BYTES) + "\n")
            out.flush()
            os.fsync(out.fileno())
        os.link(temp, path)  # fails if another process made the key meanwhile: keep that one
    except FileExistsError:
        pass
    except OSError:  # a file system without hard links: no race to lose there in practice
        if not path.exists():
            os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
