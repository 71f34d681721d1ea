"""Deps: the one object handlers and jobs receive. Built in run_bot.py (or a test), nowhere else."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.core.clock import Clock, SystemClock
from config.settings import Settings
from storage.crypto import Cipher
from storage.db import make_engine, make_read_engine, make_session_factory, migrate
from storage.uow import UnitOfWork


@dataclass
class Deps:
    settings: Settings
    engine: AsyncEngine
    session_factory: async_sessionmaker
    cipher: Cipher
    clock: Clock
    client: AsyncWebClient
    tz: ZoneInfo
    # Reads that write nothing (lists, the actor behind a request): on SQLite they never wait
    # for the writer lock; on PostgreSQL the same pool, in autocommit (storage/db.py).
    read_engine: AsyncEngine | None = None
    read_session_factory: async_sessionmaker | None = None
    # Set when there is work to look at sooner than the next dispatcher tick.
    wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    # One HTTP session for the answers sent to response_urls: their connections are kept alive.
    _http: aiohttp.ClientSession | None = None

    def uow(self, *, read_only: bool = False) -> UnitOfWork:
        if read_only and self.read_session_factory is not None:
            return UnitOfWork(self.read_session_factory, self.cipher, read_only=True)
        return UnitOfWork(self.session_factory, self.cipher)

    @property
    def admin_ids(self) -> frozenset[str]:
        return self.settings.admin_ids

    def http(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        return self._http

    def wake_dispatcher(self) -> None:
        self.wakeup.set()

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
        await self.engine.dispose()
        if self.read_engine is not None:
            await self.read_engine.dispose()


async def build_deps(
    settings: Settings,
    *,
    cipher: Cipher,
    clock: Clock | None = None,
    client: AsyncWebClient | None = None,
    run_migrations: bool = True,
) -> Deps:
    engine = make_engine(settings.database_url)
    if run_migrations:
        await migrate(engine)
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    read_engine = make_read_engine(engine, settings.database_url)
    return Deps(
        settings=settings,
        engine=engine,
        session_factory=make_session_factory(engine),
        cipher=cipher,
        clock=clock or SystemClock(),
        client=client or AsyncWebClient(token=token, base_url=settings.slack_api_url),
        tz=ZoneInfo(settings.timezone),
        read_engine=read_engine,
        read_session_factory=make_session_factory(read_engine) if read_engine is not None else None,
    )
