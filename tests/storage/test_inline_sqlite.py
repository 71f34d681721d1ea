"""SQLite statements run in the loop's thread; a locked database is waited for without stopping the loop."""

import asyncio
import sqlite3

from sqlalchemy import text

from storage.db import make_engine, migrate
from storage.inline_sqlite import InlineConnection


async def test_file_databases_use_inline_connections(sqlite_url):
    engine = make_engine(sqlite_url)
    await migrate(engine)
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        assert isinstance(raw.driver_connection, InlineConnection)
        assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() == 0  # SQLite never waits itself
    await engine.dispose()


async def test_a_writer_waits_for_another_process_lock_while_the_loop_runs(sqlite_url, tmp_path):
    engine = make_engine(sqlite_url)
    await migrate(engine)
    other = sqlite3.connect(tmp_path / "jirei-test.db", isolation_level=None)  # stands for another process
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO audit_log (at, actor, action, outcome, detail) VALUES ('2027-04-01 00:00:00', 'U1', 'a', 'ok', '{}')")

    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    async def write():
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO audit_log (at, actor, action, outcome, detail) "
                                    "VALUES ('2027-04-01 00:00:01', 'U2', 'b', 'ok', '{}')"))

    ticking = asyncio.create_task(ticker())
    writing = asyncio.create_task(write())
    await asyncio.sleep(0.2)
    assert not writing.done()  # still waiting for the lock...
    assert ticks >= 10  # ...and the loop kept running meanwhile
    other.execute("COMMIT")
    await asyncio.wait_for(writing, 5)
    ticking.cancel()
    async with engine.connect() as conn:
        actors = (await conn.execute(text("SELECT actor FROM audit_log ORDER BY actor"))).scalars().all()
    assert actors == ["U1", "U2"]  # both writes kept, one after the other
    other.close()
    await engine.dispose()


async def test_a_long_run_of_statements_lets_other_tasks_run_between_them(sqlite_url):
    engine = make_engine(sqlite_url)
    await migrate(engine)
    ran_between = 0

    async def other_task():
        nonlocal ran_between
        while True:
            ran_between += 1
            await asyncio.sleep(0)

    other = asyncio.create_task(other_task())
    await asyncio.sleep(0)
    before = ran_between
    async with engine.connect() as conn:
        for n in range(2000):  # every statement completes at once; no await really waits
            await conn.execute(text("SELECT :n"), {"n": n})
    other.cancel()
    # The loop was shared during the run, every half millisecond, not only at its ends (which give
    # about three turns when the slices are switched off).
    assert ran_between - before >= 20
    await engine.dispose()
