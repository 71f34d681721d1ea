"""Real processes: a dispatcher SIGKILLed mid fan-out, and two dispatchers sharing one database.

The fake Slack runs in the test process; the dispatchers are subprocesses sending to it over
loopback (tests/bot/delivery/worker.py).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.delivery import outbox
from bot.deps import build_deps
from bot.local.slack.server import FakeSlack
from config.settings import Settings
from storage.crypto import Cipher, generate_key
from storage.models import Delivery

pytestmark = pytest.mark.slow

WORKER = Path(__file__).with_name("worker.py")
TOKEN = "xoxb-test"
PROCESS_KIND = "process_note"
LONG_AGO = datetime(2020, 1, 1, tzinfo=timezone.utc)  # due for any real clock


@pytest.fixture
async def live_fake():
    fake = FakeSlack(bot_token=TOKEN, wall_clock=time.time)
    await fake.start()
    yield fake
    await fake.stop()


async def prepare(db_url: str, fake: FakeSlack, count: int, clock) -> list[str]:
    recipients = [f"UP{index:04d}" for index in range(count)]
    for user in recipients:
        fake.add_user(user, user.lower())
    settings = Settings(DATABASE_URL=db_url, SLACK_API_URL=fake.base_url, SLACK_BOT_TOKEN=TOKEN)
    deps = await build_deps(settings, cipher=Cipher(generate_key()), clock=clock)
    async with deps.uow() as uow:
        for index, user in enumerate(recipients):
            await outbox.enqueue(uow, kind=PROCESS_KIND, recipient=user, due_at=LONG_AGO, now=LONG_AGO,
                                 dedupe_key=f"fanout:{user}", payload={"n": index})
    await deps.close()
    return recipients


async def start_worker(db_url: str, fake: FakeSlack, owner: str, rate: float = 30.0):
    return await asyncio.create_subprocess_exec(
        sys.executable, str(WORKER), "--db", db_url, "--slack", fake.base_url, "--owner", owner,
        "--rate", str(rate), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(WORKER.parents[3])})


async def finish(process, timeout: float = 120.0) -> dict:
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout)
    assert process.returncode == 0, stderr.decode()[-3000:]
    return json.loads(stdout.decode().strip().splitlines()[-1])


def messages_per_user(fake: FakeSlack, recipients: list[str]) -> Counter:
    return Counter({user: len(fake.dm_messages(user)) for user in recipients})


async def statuses(db_url: str) -> Counter:
    from storage.db import make_engine, make_session_factory

    engine = make_engine(db_url)
    async with make_session_factory(engine)() as session:
        counts = Counter(await session.scalars(select(Delivery.status)))
    await engine.dispose()
    return counts


async def test_sigkill_mid_fanout_then_restart_delivers_each_message_exactly_once(sqlite_url, live_fake, clock):
    recipients = await prepare(sqlite_url, live_fake, 120, clock)
    # Slow answers keep several posts in flight, so the kill lands between "sent" and "recorded".
    live_fake.delay("chat.postMessage", 0.15)
    worker = await start_worker(sqlite_url, live_fake, owner="bot-1")
    while sum(messages_per_user(live_fake, recipients).values()) < 30:
        assert worker.returncode is None, "the worker finished before it could be killed"
        await asyncio.sleep(0.02)
    worker.send_signal(signal.SIGKILL)
    await worker.wait()
    await asyncio.sleep(0.5)  # posts the dead process had in flight still land in Slack
    delivered_before_restart = sum(messages_per_user(live_fake, recipients).values())
    assert delivered_before_restart < 120, "the kill came too late to prove anything"
    live_fake.delay("chat.postMessage", 0)

    totals = await finish(await start_worker(sqlite_url, live_fake, owner="bot-1"))

    per_user = messages_per_user(live_fake, recipients)
    assert set(per_user.values()) == {1}, {user: n for user, n in per_user.items() if n != 1}
    assert totals["sent"] == 120 - delivered_before_restart
    assert await statuses(sqlite_url) == Counter({"sent": 120})


async def test_two_dispatcher_processes_share_the_work_without_duplicates(db_url, live_fake, clock):
    recipients = await prepare(db_url, live_fake, 100, clock)

    first, second = await asyncio.gather(start_worker(db_url, live_fake, owner="bot-a", rate=40),
                                         start_worker(db_url, live_fake, owner="bot-b", rate=40))
    totals = await asyncio.gather(finish(first), finish(second))

    per_user = messages_per_user(live_fake, recipients)
    assert set(per_user.values()) == {1}, {user: n for user, n in per_user.items() if n != 1}
    assert sum(t["sent"] + t["reconciled"] for t in totals) == 100
    assert await statuses(db_url) == Counter({"sent": 100})
