"""SQLite in the event loop's own thread.

aiosqlite runs every call on a worker thread and hands each result back through the loop. One
statement is four or five such calls (cursor, execute, fetch, close, and BEGIN/COMMIT around
them), about 0.15 ms of CPU each in hand-offs, where the statement itself takes microseconds: a
join (ten statements) cost 11 ms of CPU that way. `connect()` below gives SQLAlchemy's aiosqlite
dialect an object with the same awaitable calls, done at once on the calling thread.

Nothing may block the loop, so the connection never uses SQLite's own busy wait (busy_timeout
is 0): when the database is locked (another transaction holds the writer lock, in this process
or another), the statement is retried after an asynchronous pause, so the holder can finish.
A statement that met a lock did not run, so running it again is safe. And a long run of
statements yields to the loop every half millisecond (_share_the_loop), so an ack waiting to be
sent goes between two statements rather than after a whole unit of work.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from typing import Any, Callable, Sequence

# How long a statement waits for a lock, in pauses that let the loop run, before it gives up.
BUSY_WAIT_SECONDS = 30.0
FIRST_PAUSE_SECONDS = 0.001
LONGEST_PAUSE_SECONDS = 0.05


# Measured with bench/bench_ack.py (three runs each, ack p99 against the bare app): without
# slices 1.28–1.64×; slices of 0.25 ms 1.28–1.35×, 0.5 ms 1.10–1.29×, 1 ms 1.30–1.40×.
SLICE_SECONDS = 0.0005
_slice_started = 0.0


async def _share_the_loop() -> None:
    """Yield to the loop when this stretch of statements has run for more than a slice: waiting
    acks then go between statements, not after a whole unit of work."""
    global _slice_started
    now = time.perf_counter()
    if now - _slice_started > SLICE_SECONDS:
        await asyncio.sleep(0)
        _slice_started = time.perf_counter()


def _is_busy(error: sqlite3.OperationalError) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(error)


async def when_free(call: Callable[[], Any]) -> Any:
    """Run `call`; while the database is locked, pause (yielding the loop) and run it again."""
    waited, pause = 0.0, FIRST_PAUSE_SECONDS
    while True:
        try:
            return call()
        except sqlite3.OperationalError as error:
            if not _is_busy(error) or waited >= BUSY_WAIT_SECONDS:
                raise
        await asyncio.sleep(pause)
        waited += pause
        pause = min(pause * 2, LONGEST_PAUSE_SECONDS)


class InlineCursor:
    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> "InlineCursor":
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> "InlineCursor":
        await _share_the_loop()
        if parameters is None:
            await when_free(lambda: self._cursor.execute(sql))
        else:
            await when_free(lambda: self._cursor.execute(sql, parameters))
        return self

    async def executemany(self, sql: str, seq_of_parameters: Any) -> "InlineCursor":
        rows = list(seq_of_parameters)  # a second try needs them again
        await when_free(lambda: self._cursor.executemany(sql, rows))
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class _RunNow:
    """Stands in for aiosqlite's request queue: SQLAlchemy sets the isolation level through it."""

    @staticmethod
    def put_nowait(item: tuple[Any, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as error:  # noqa: BLE001 - handed to the awaiting caller, as aiosqlite does
            if future is not None:
                future.set_exception(error)
        else:
            if future is not None:
                future.set_result(result)


class InlineConnection:
    """The calls SQLAlchemy's aiosqlite dialect makes on an aiosqlite.Connection, done inline."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._connection: sqlite3.Connection | None = conn
        self._tx = _RunNow()

    def cursor(self) -> InlineCursor:
        return InlineCursor(self._conn.cursor())

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> InlineCursor:
        return await self.cursor().execute(sql, parameters)

    async def commit(self) -> None:
        await when_free(self._conn.commit)

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        if self._connection is not None:
            self._connection = None
            self._conn.close()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        self._conn.isolation_level = value


def inline_creator(path: str) -> Callable[[], Any]:
    """An `async_creator` for create_async_engine: one inline connection to the file at `path`."""

    async def connect() -> InlineConnection:
        # timeout=0: never SQLite's busy wait, which would stop the loop (see when_free).
        # check_same_thread=False: the pool may close a connection from the garbage collector.
        connection = await when_free(lambda: sqlite3.connect(path, timeout=0, check_same_thread=False))
        return InlineConnection(connection)

    return connect
