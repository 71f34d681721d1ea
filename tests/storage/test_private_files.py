"""The key file and the SQLite database are readable by their owner only from the first byte,
whatever the umask; an existing key file others can read is used, with a warning."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.startup import cipher_for, local_key_exposed
from config.settings import Settings
from storage.crypto import local_key
from storage.db import make_engine


@pytest.fixture
def permissive_umask():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return os.stat(path).st_mode & 0o777


async def test_a_new_database_and_its_wal_and_shm_files_are_0600(tmp_path, permissive_umask):
    database = tmp_path / "jirei.db"
    engine = make_engine(f"sqlite+aiosqlite:///{database}")
    assert mode(database) == 0o600  # before SQLite has opened it
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (x TEXT)"))
            await conn.execute(text("INSERT INTO t VALUES ('a')"))
        files = {name: mode(tmp_path / name) for name in ("jirei.db", "jirei.db-wal", "jirei.db-shm")}
    finally:
        await engine.dispose()
    assert files == dict.fromkeys(files, 0o600)


async def test_an_existing_database_is_opened_as_it_is(tmp_path, permissive_umask):
    database = tmp_path / "jirei.db"
    engine = make_engine(f"sqlite+aiosqlite:///{database}")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (x TEXT)"))
    await engine.dispose()
    engine = make_engine(f"sqlite+aiosqlite:///{database}")
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 0
    await engine.dispose()


def test_the_local_key_is_created_0600_and_an_existing_one_is_read_not_replaced(tmp_path, permissive_umask):
    path = tmp_path / ".jirei-local.key"
    key, created = local_key(path)
    assert created and mode(path) == 0o600 and path.read_text() == key + "\n"
    assert local_key(path) == (key, False)
    assert not local_key_exposed(path)


def test_a_key_file_others_can_read_is_used_with_one_warning(tmp_path, monkeypatch, caplog):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("JIREI_ENCRYPTION_KEY", raising=False)
    settings = Settings(_env_file=None)
    cipher_for(settings, allow_local=True)  # creates it, privately: nothing to warn about
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    os.chmod(".jirei-local.key", 0o644)
    assert local_key_exposed()
    with caplog.at_level(logging.WARNING):
        cipher, note = cipher_for(settings, allow_local=True)
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "chmod 600" in warnings[0], warnings
    assert cipher.decrypt(cipher.encrypt(b"x")) == b"x" and "created now" not in note
    assert mode(tmp_path / ".jirei-local.key") == 0o644  # the person's file: told, not changed behind their back
