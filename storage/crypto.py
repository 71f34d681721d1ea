"""Encryption at rest for case material, survey answers and survey progress.

Keys come from JIREI_ENCRYPTION_KEY: one or more Fernet keys, comma-separated, the first used
for new data and all of them accepted for reading, so a key can be rotated without downtime
(see README, "Key rotation").
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class EncryptionKeyError(RuntimeError):
    pass


class Cipher:
    def __init__(self, keys: str) -> None:
        parts = [part.strip() for part in keys.split(",") if part.strip()]
        if not parts:
            raise EncryptionKeyError("JIREI_ENCRYPTION_KEY is empty")
        try:
            self._fernet = MultiFernet([Fernet(part.encode()) for part in parts])
        except (ValueError, TypeError) as exc:
            raise EncryptionKeyError("JIREI_ENCRYPTION_KEY is not a valid Fernet key") from exc
        # A key of its own for keyed hashes, derived from the primary key (never the key itself).
        self._digest_key = hmac.new(base64.urlsafe_b64decode(parts[0]), b"jirei:keyed-digest", hashlib.sha256).digest()

    def encrypt(self, data: bytes) -> bytes:
        return self._fernet.encrypt(data)

    def encrypt_at(self, data: bytes, moment: datetime) -> bytes:
        """Encrypt with `moment` as the token's timestamp (a Fernet token carries its creation time
        in clear): for ciphertext whose time of writing would tell something, such as a survey
        response's completion time."""
        return self._fernet.encrypt_at_time(data, int(moment.timestamp()))

    def keyed_digest(self, text: str) -> str:
        """An HMAC of `text` (hex, 40 characters): stable for equal text, and without the key it
        cannot be recomputed from guesses (user ids and Slack timestamps are easy to guess)."""
        return hmac.new(self._digest_key, text.encode("utf-8", "replace"), hashlib.sha256).hexdigest()[:40]

    def decrypt(self, token: bytes) -> bytes:
        try:
            return self._fernet.decrypt(token)
        except InvalidToken as exc:
            raise EncryptionKeyError("data cannot be decrypted with the configured keys") from exc

    def rotate(self, token: bytes) -> bytes:
        """Re-encrypt under the primary key (used by the key rotation command)."""
        return self._fernet.rotate(token)

    def encrypt_json(self, value: Any, *, at: datetime | None = None, pad_to: int = 0) -> bytes:
        """`pad_to`: the JSON is padded with spaces (which JSON ignores) to a multiple of that many
        bytes, so the ciphertext's length says only which band of lengths the value is in."""
        data = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
        if pad_to:
            data += b" " * (-len(data) % pad_to)
        return self.encrypt(data) if at is None else self.encrypt_at(data, at)

    def decrypt_json(self, token: bytes) -> Any:
        return json.loads(self.decrypt(token))


def generate_key() -> str:
    return Fernet.generate_key().decode()


def local_key(path: Path) -> tuple[str, bool]:
    """The console's and demo's own key, kept in a file beside the local database.

    Returns (key, created). Never used when JIREI_ENCRYPTION_KEY is set. A new file is readable by
    its owner only from its first byte (created 0600, whatever the umask); a file another process
    created meanwhile is read, not replaced.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip(), False
    key = generate_key()
    with os.fdopen(fd, "w") as file:
        file.write(key + "\n")
    return key, True


def readable_by_others(path: Path) -> bool:
    """True when the file's group or other users may read or write it (a key file should be 0600)."""
    return bool(path.stat().st_mode & 0o077)
