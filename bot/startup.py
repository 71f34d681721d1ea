"""What every mode of `run_bot.py` needs first: its settings and the encryption key, and the one
kind of error an operator sees (`CliError`: one line, a non-zero exit)."""

from __future__ import annotations

import logging
from pathlib import Path

from pydantic import ValidationError

from config.settings import Settings
from storage.crypto import Cipher, EncryptionKeyError, local_key, readable_by_others

log = logging.getLogger("jirei")

LOCAL_KEY_FILE = ".jirei-local.key"


class CliError(Exception):
    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def load_settings(**overrides) -> Settings:
    try:
        return Settings(**overrides)
    except ValidationError as err:
        first = err.errors()[0]
        name = first.get("loc", ["?"])[0]
        raise CliError(f"setting {name} is invalid: {first.get('msg')}") from None


def cipher_for(settings: Settings, *, allow_local: bool) -> tuple[Cipher, str | None]:
    """The configured key; for local use, the local key file (created if need be)."""
    try:
        if settings.encryption_key and settings.encryption_key.get_secret_value():
            return Cipher(settings.encryption_key.get_secret_value()), None
        path = Path(LOCAL_KEY_FILE)
        if allow_local or path.exists():
            key, created = local_key(path)
            if local_key_exposed(path):
                log.warning("the local key file %s can be read by other users; make it private: chmod 600 %s",
                            path, path)
            note = f"using the local encryption key in {path}" + (" (created now)" if created else "")
            return Cipher(key), note
    except EncryptionKeyError as err:
        raise CliError(str(err)) from None
    raise CliError("JIREI_ENCRYPTION_KEY is not set (generate one with: python -c "
                   "\"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())\")")


def local_key_exposed(path: Path = Path(LOCAL_KEY_FILE)) -> bool:
    """The local key file exists and its group or other users may read it (it should be 0600)."""
    try:
        return readable_by_others(path)
    except FileNotFoundError:
        return False
