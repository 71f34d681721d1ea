"""SQLite statements run in the loop's thread; a locked database is waited for without stopping the loop."""

import asyncio
import sqlite3

from sqlalchemy import text

from storage.db import make_engine, migrate
from storage.inline_sqlite import InlineConnection


def counting(pause: float) -> tuple[list[int], asyncio.Task]:
    """A task that counts how often the loop lets it run: ([count], task)."""
    count = [0]

    async def count_turns() -> None:
        while True:
            count[0] += 1
            await asyncio.sleep(pause)

    return count, asyncio.create_task(count_turns())


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

    async def write():
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO audit_log (at, actor, action, outcome, detail) "
                                    "VALUES ('2027-04-01 00:00:01', 'U2', 'b', 'ok', '{}')"))

    ticks, ticking = counting(pause=0.005)
    writing = asyncio.create_task(write())
    await asyncio.sleep(0.2)
    assert not writing.done()  # still waiting for the lock...
    assert ticks[0] >= 10  # ...and the loop kept running meanwhile
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
    ran_between, counter = counting(pause=0)
    await asyncio.sleep(0)
    before = ran_between[0]
    async with engine.connect() as conn:
        for n in range(2000):  # every statement completes at once; no await really waits
            await conn.execute(text("SELECT :n"), {"n": n})
    counter.cancel()
    # The loop was shared during the run, every half millisecond, not only at its ends (which give
    # about three turns when the slices are switched off).
    assert ran_between[0] - before >= 20
    await engine.dispose()
