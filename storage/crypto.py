"""Encryption at rest for case material, survey answers and survey progress.

Keys come from JIREI_ENCRYPTION_KEY: one or more Fernet keys, comma-separated, the first used
for new data and all of them accepted for reading, so a key can be rotated without downtime
(see README, "Key rotation").
"""

from __future__ import annotations

import json
import os
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

    def encrypt(self, data: bytes) -> bytes:
        return self._fernet.encrypt(data)

    def decrypt(self, token: bytes) -> bytes:
        try:
            return self._fernet.decrypt(token)
        except InvalidToken as exc:
            raise EncryptionKeyError("data cannot be decrypted with the configured keys") from exc

    def rotate(self, token: bytes) -> bytes:
        """Re-encrypt under the primary key (used by the key rotation command)."""
        return self._fernet.rotate(token)

    def encrypt_json(self, value: Any) -> bytes:
        return self.encrypt(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())

    def decrypt_json(self, token: bytes) -> Any:
        return json.loads(self.decrypt(token))


def generate_key() -> str:
    return Fernet.generate_key().decode()


def local_key(path: Path) -> tuple[str, bool]:
    """The console's and demo's own key, kept in a file beside the local database.

    Returns (key, created). Never used when JIREI_ENCRYPTION_KEY is set.
    """
    if path.exists():
        return path.read_text().strip(), False
    key = generate_key()
    path.write_text(key + "\n")
    os.chmod(path, 0o600)
    return key, True
