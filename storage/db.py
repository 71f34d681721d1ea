"""Engine, session factory and migrations. Nothing here runs at import time."""

from __future__ import annotations

import os
import sqlite3
import uuid
import weakref
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import event, make_url, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# PostgreSQL advisory lock key taken around every migration (any fixed 64-bit number will do).
MIGRATION_LOCK_KEY = 0x4A495245_4D494752  # "JIREMIGR"
SQLITE_BUSY_TIMEOUT_SECONDS = 30
POSTGRES_RECYCLE_SECONDS = 30 * 60


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(url: str, *, echo: bool = False, read_only: bool = False) -> AsyncEngine:
    """`read_only` (SQLite): transactions begin DEFERRED, so readers never wait for the writer
    lock (WAL lets them read a consistent snapshot while someone writes)."""
    if is_sqlite(url):
        create_private_database_file(url)
        # aiosqlite runs each connection in its own thread; `timeout` is SQLite's busy timeout,
        # so a writer waiting for the lock waits there, never in the event loop.
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})
        _serialise_sqlite_writers(engine, begin="BEGIN" if read_only else "BEGIN IMMEDIATE")
    else:
        # No pre-ping: it costs a round trip on every checkout, i.e. on every unit of work. A
        # connection the server dropped fails the one statement that finds it; SQLAlchemy then
        # discards it and every connection opened before it, so the next unit of work reconnects.
        # Connections are renewed every half hour, before idle timeouts of proxies and firewalls.
        engine = create_async_engine(url, echo=echo, pool_size=10, max_overflow=10,
                                     pool_recycle=POSTGRES_RECYCLE_SECONDS)
    return engine


def create_private_database_file(url: str) -> None:
    """SQLite: create the database file readable by its owner only (0600) before SQLite opens it,
    which would create it 0644 less the umask. SQLite gives the -wal and -shm files it creates
    beside it the database file's own permissions, so they are 0600 too."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    try:
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError:
        return  # no such folder, no permission: SQLite's own error says so when it opens the file


def make_read_engine(engine: AsyncEngine, url: str) -> AsyncEngine:
    """For reads that write nothing (lists, the person behind a request).

    SQLite: a second engine whose transactions begin deferred, so readers never wait for the
    writer lock. PostgreSQL: the same engine and pool in autocommit. At READ COMMITTED (the
    default) every statement reads its own snapshot inside a transaction too, so a BEGIN and a
    COMMIT around the reads would only add two round trips.
    """
    if is_sqlite(url):
        return make_engine(url, read_only=True)
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def _serialise_sqlite_writers(engine: AsyncEngine, begin: str) -> None:
    """SQLite: WAL and BEGIN IMMEDIATE.

    Every transaction takes the write lock up front, so a read-then-write (count the seats,
    then add a registration) cannot interleave with another one. That is what keeps capacity
    exact under concurrency on SQLite; PostgreSQL uses row locks instead.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # WAL with synchronous=NORMAL: a commit is not flushed to disk at once, only at checkpoints.
        # The database stays consistent after a crash; a power cut may lose the last commits.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Deleted rows are overwritten with zeros, not left in free pages for anyone who reads
        # the file (a finished survey's progress, a forgotten person's name).
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql(begin)


async def wipe_write_ahead_log(engine: AsyncEngine) -> bool:
    """SQLite: copy the write-ahead log into the database and truncate it, so the pages of
    deleted rows and the order of recent writes do not linger there; nothing on PostgreSQL.

    Never waits: when a reader or a writer still uses the log, False is returned and the wipe is
    owed (`wipe_owed`): the periodic clean-up tries again.
    """
    if engine.dialect.name != "sqlite":
        return True
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        # On the driver's own connection: SQLAlchemy would wrap the pragma in BEGIN IMMEDIATE,
        # and a checkpoint cannot run inside a transaction.
        try:
            cursor = await raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            busy, _log_frames, _copied = await cursor.fetchone()
            await cursor.close()
        except sqlite3.OperationalError:  # locked for longer than a statement waits: owed
            busy = True
    if busy:
        _WIPES_OWED.add(engine.sync_engine)
    else:
        _WIPES_OWED.discard(engine.sync_engine)
    return not busy


_WIPES_OWED: weakref.WeakSet = weakref.WeakSet()


def wipe_owed(engine: AsyncEngine) -> bool:
    """A wipe of the write-ahead log was asked for and could not be done yet."""
    return engine.sync_engine in _WIPES_OWED


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)


# What the migrations make beside the models: the case library's full-text index (SQLite: the FTS5
# table and its shadow tables; PostgreSQL: the trigram GIN index). Left out when autogenerate and
# the drift test compare the database with the models.
_INDEX_ONLY = ("library_fts", "ix_library_entries_search_trgm")


def include_in_comparison(name: str | None, type_: str, parent_names) -> bool:
    return not (name and name.startswith(_INDEX_ONLY))


def _alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def hold_migration_lock(connection: Connection) -> None:
    """PostgreSQL: wait for the migration lock, held until the migration's transaction ends.

    Replicas starting together migrate one after the other; the later ones find the schema at head
    and do nothing. (SQLite needs nothing: BEGIN IMMEDIATE already lets one writer in at a time.)
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})


async def migrate(engine: AsyncEngine) -> None:
    """Bring the database to the newest schema (run at startup and by `run_bot.py migrate`);
    storage/migrations/env.py takes the migration lock."""

    def _upgrade(connection: Connection) -> None:
        command.upgrade(_alembic_config(connection), "head")

    async with engine.begin() as conn:
        await conn.run_sync(_upgrade)


async def create_scratch_database(server_url: str, prefix: str) -> tuple[str, str]:
    """A new, empty PostgreSQL database named `prefix` and a random suffix, on the server of
    `server_url` (tests and benchmarks): its URL and its name, for `drop_scratch_database`."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    await _as_server_admin(server_url, f'CREATE DATABASE "{name}"')
    return server_url.rsplit("/", 1)[0] + "/" + name, name


async def drop_scratch_database(server_url: str, name: str) -> None:
    await _as_server_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _as_server_admin(server_url: str, statement: str) -> None:
    # CREATE and DROP DATABASE cannot run inside a transaction.
    admin = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await admin.dispose()
