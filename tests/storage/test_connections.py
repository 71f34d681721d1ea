"""PostgreSQL connections the server dropped: no ping before each checkout (a round trip every
unit of work would pay), so the statement that finds a dead connection fails and the next unit of
work reconnects (storage/db.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from storage.crypto import Cipher, generate_key
from storage.db import make_engine, make_session_factory, migrate
from storage.uow import UnitOfWork
from tests.conftest import BACKENDS, POSTGRES_URL

POSTGRES = BACKENDS[1]


async def drop_connections_to(database: str) -> int:
    """What a server restart or a failover does to every open connection."""
    admin = create_async_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        dropped = await conn.scalar(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = :database AND pid <> pg_backend_pid()"), {"database": database})
    await admin.dispose()
    return dropped


@pytest.mark.parametrize("db_url", [POSTGRES], indirect=True)
async def test_after_the_server_drops_the_connections_the_next_unit_of_work_reconnects(db_url):
    engine = make_engine(db_url)
    await migrate(engine)
    factory, cipher = make_session_factory(engine), Cipher(generate_key())
    try:
        async with UnitOfWork(factory, cipher) as uow:
            assert await uow.coordinators.count() == 0  # a connection now waits in the pool
        assert await drop_connections_to(make_url(db_url).database) >= 1
        with pytest.raises(DBAPIError) as failed:
            async with UnitOfWork(factory, cipher) as uow:
                await uow.coordinators.count()
        assert failed.value.connection_invalidated
        async with UnitOfWork(factory, cipher) as uow:
            assert await uow.coordinators.count() == 0
    finally:
        await engine.dispose()
