"""Shared fixtures: databases (SQLite always, PostgreSQL when JIREI_TEST_POSTGRES_URL is set),
the manual clock, and the local workspace (fake Slack + real AsyncApp + driver).
"""

from __future__ import annotations

import io
import logging
import os
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from slack_sdk.web.async_base_client import AsyncBaseClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.core.clock import ManualClock
from bot.logs import setup_logging
from storage.crypto import Cipher, generate_key
from storage.db import create_scratch_database, drop_scratch_database, make_engine, make_session_factory, migrate
from storage.uow import UnitOfWork, transaction_open

JST = ZoneInfo("Asia/Tokyo")
POSTGRES_URL = os.environ.get("JIREI_TEST_POSTGRES_URL")  # postgresql+asyncpg://user:pw@host/db
BACKENDS = ["sqlite", pytest.param("postgres", marks=[pytest.mark.postgres, pytest.mark.skipif(
    not POSTGRES_URL, reason="set JIREI_TEST_POSTGRES_URL to run the PostgreSQL tests")])]


def pytest_configure(config):
    os.environ.setdefault("JIREI_TIMEZONE", "Asia/Tokyo")


@pytest.fixture(params=BACKENDS)
async def db_url(request, tmp_path):
    """A fresh, empty database on each backend."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'jirei-test.db'}"
        return
    url, name = await create_scratch_database(POSTGRES_URL, "jirei_test")
    try:
        yield url
    finally:
        await drop_scratch_database(POSTGRES_URL, name)


@pytest.fixture
async def uow_factory(db_url):
    """Units of work on a fresh, migrated database (each backend), for service and storage tests."""
    engine = make_engine(db_url)
    await migrate(engine)
    factory = make_session_factory(engine)
    cipher = Cipher(generate_key())
    yield lambda: UnitOfWork(factory, cipher)
    await engine.dispose()


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'jirei-test.db'}"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2027, 4, 1, 9, 0, tzinfo=JST))


@pytest.fixture
def production_logging():
    """setup_logging as run_bot.py does, keeping pytest's capture handlers beside the JSON one."""
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    stream = io.StringIO()
    setup_logging("DEBUG", stream=stream)
    root.handlers.extend(saved_handlers)
    try:
        yield stream
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
        for name in ("slack_bolt", "slack_sdk", "aiohttp.access", "apscheduler", "sqlalchemy.engine", "alembic"):
            logging.getLogger(name).setLevel(logging.NOTSET)


@pytest.fixture(autouse=True)
def fresh_refusal_log(monkeypatch):
    """Refusals are logged once a minute per reason (bot/signing.py): each test starts with none logged."""
    from bot import signing

    monkeypatch.setattr(signing, "REFUSALS", signing.RefusalLog())


@pytest.fixture(autouse=True)
def no_slack_call_inside_a_transaction(monkeypatch):
    """Every test fails if it made a Slack call (Web API or response_url) while the calling task was
    inside a unit of work: Slack is slow, and a transaction held across it holds locks and a connection."""
    calls = record_slack_calls_inside_transactions(monkeypatch)
    yield calls
    assert not calls, f"Slack called inside a transaction: {calls}"


def record_slack_calls_inside_transactions(monkeypatch) -> list[str]:
    calls: list[str] = []

    def guarded(original, name_of):
        async def call(self, *args, **kwargs):
            if transaction_open():
                calls.append(name_of(args))
            return await original(self, *args, **kwargs)
        return call

    monkeypatch.setattr(AsyncBaseClient, "api_call", guarded(AsyncBaseClient.api_call, lambda args: args[0]))
    monkeypatch.setattr(AsyncWebhookClient, "send_dict",
                        guarded(AsyncWebhookClient.send_dict, lambda args: "response_url"))
    return calls
