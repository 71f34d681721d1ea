"""PostgreSQL connections (storage/db.py): no ping before each checkout (a round trip every unit
of work would pay), so the statement that finds a dead connection fails and the next unit of work
reconnects; reads that write nothing run in autocommit, with no BEGIN and COMMIT around them."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from storage.crypto import Cipher, generate_key
from storage.db import make_engine, make_read_engine, make_session_factory, migrate
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


@pytest.mark.parametrize("db_url", [POSTGRES], indirect=True)
async def test_reads_share_the_pool_and_each_statement_is_its_own_transaction(db_url):
    engine = make_engine(db_url)
    reads = make_read_engine(engine, db_url)
    current = text("SELECT pg_current_xact_id()::text")
    try:
        assert reads.pool is engine.pool
        async with reads.connect() as conn:
            assert await conn.scalar(current) != await conn.scalar(current)
        async with engine.connect() as conn:  # the connection went back to the pool as it was
            assert await conn.scalar(current) == await conn.scalar(current)
    finally:
        await engine.dispose()
