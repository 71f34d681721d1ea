"""Migrations: the models and the migrations agree, the alembic command line works on the bot's
DATABASE_URL, and replicas migrating at once on PostgreSQL take turns."""

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from storage.db import MIGRATION_LOCK_KEY, include_in_comparison, make_engine, migrate
from storage.models import Base
from tests.conftest import BACKENDS

ROOT = Path(__file__).resolve().parents[2]
POSTGRES_ONLY = pytest.mark.parametrize("db_url", [BACKENDS[1]], indirect=True)


def _drift(connection) -> list:
    context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": include_in_comparison})
    return compare_metadata(context, Base.metadata)


async def test_models_and_migrations_agree(db_url):
    engine = make_engine(db_url)
    await migrate(engine)
    async with engine.connect() as conn:
        drift = await conn.run_sync(_drift)
    await engine.dispose()
    assert drift == []


def test_alembic_command_line_migrates_the_database_of_the_settings(tmp_path):
    database = tmp_path / "cli.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    done = subprocess.run([sys.executable, "-m", "alembic", "upgrade", "head"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    current = subprocess.run([sys.executable, "-m", "alembic", "current"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=120)
    assert "(head)" in current.stdout


@POSTGRES_ONLY
async def test_replicas_starting_together_migrate_one_after_the_other(db_url):
    env = {**os.environ, "DATABASE_URL": db_url}
    replicas = [await asyncio.create_subprocess_exec(
        sys.executable, "run_bot.py", "migrate", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE) for _ in range(2)]
    outputs = await asyncio.gather(*(replica.communicate() for replica in replicas))
    assert [replica.returncode for replica in replicas] == [0, 0], outputs
    engine = make_engine(db_url)
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
        versions = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
    await engine.dispose()
    assert set(Base.metadata.tables) <= tables
    assert len(versions) == 1


@POSTGRES_ONLY
async def test_migration_waits_for_the_lock_another_replica_holds(db_url):
    holder, engine = make_engine(db_url), make_engine(db_url)
    async with holder.connect() as held:
        await held.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        migration = asyncio.create_task(migrate(engine))
        while not await _someone_waits_for_the_migration_lock(held):
            assert not migration.done(), migration.exception()
            await asyncio.sleep(0.05)
        tables = await held.run_sync(lambda sync: set(inspect(sync).get_table_names()))
        assert "alembic_version" not in tables  # nothing migrated while the lock is held
        await held.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
        await held.commit()
    await migration
    async with holder.connect() as conn:
        tables = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    await holder.dispose()
    await engine.dispose()
    assert set(Base.metadata.tables) <= tables


async def _someone_waits_for_the_migration_lock(conn) -> bool:
    waiting = await conn.execute(text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"))
    return waiting.scalar_one() > 0
