"""Fixtures for the delivery engine: the fake Slack, Deps pointing at it, and a test message kind."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.delivery import outbox
from bot.delivery.dispatcher import DispatchConfig
from bot.delivery.pacing import Pacer, Rate
from bot.delivery.renderers import Message, RenderContext
from bot.deps import Deps, build_deps
from bot.local.slack.server import FakeSlack, ManualMonotonic
from bot.features import WIRING
from bot.runtime import Runtime
from bot.wiring import Feature, Wiring, wire
from config.settings import Settings
from storage.crypto import Cipher, generate_key

TOKEN = "xoxb-test"
NOTE_KIND = "test_note"


async def render_note(ctx: RenderContext) -> Message | None:
    """A test message: its text is test data, not a user-facing string."""
    if ctx.payload.get("withdrawn"):
        return None
    return Message(text=f"note {ctx.payload.get('n')}", channel=ctx.payload.get("channel"))


TEST_NOTES = Feature("test_notes", renderers={NOTE_KIND: render_note})
DELIVERIES_ONLY = wire([Feature("jirei", renderers=WIRING.renderers), TEST_NOTES])


def fast_pacer(per_second: float = 500.0) -> Pacer:
    rate = Rate(per_second, burst=50)
    return Pacer({"chat.postMessage": rate, "conversations.history": rate, "conversations.open": rate,
                  "chat.update": rate})


def users(count: int, prefix: str = "UR") -> list[str]:
    return [f"{prefix}{index:04d}" for index in range(count)]


@pytest.fixture
def monotonic() -> ManualMonotonic:
    return ManualMonotonic()


@pytest.fixture
async def fake(clock, monotonic):
    slack = FakeSlack(bot_token=TOKEN, monotonic=monotonic, wall_clock=lambda: clock.now().timestamp())
    await slack.start()
    yield slack
    await slack.stop()


@pytest.fixture
async def make_deps(fake, clock):
    created: list[Deps] = []

    async def make(db_url: str) -> Deps:
        settings = Settings(DATABASE_URL=db_url, SLACK_API_URL=fake.base_url, SLACK_BOT_TOKEN=TOKEN,
                            JIREI_DISPATCH_INTERVAL_SECONDS=0.05)
        deps = await build_deps(settings, cipher=Cipher(generate_key()), clock=clock)
        created.append(deps)
        return deps

    yield make
    for deps in created:
        await deps.close()


@pytest.fixture
async def deps(make_deps, db_url) -> Deps:
    return await make_deps(db_url)


def make_runtime(deps: Deps, owner: str = "test-runtime", *, wiring: Wiring | None = None, **config) -> Runtime:
    """A runtime that only delivers (Jirei's kinds and the test note), unless given a wiring of its own."""
    settings = dict(reconcile_time_window=True, send_timeout_seconds=5.0)
    settings.update(config)
    return Runtime(deps, wiring or DELIVERIES_ONLY, owner, pacer=fast_pacer(), config=DispatchConfig(**settings))


async def enqueue_notes(deps: Deps, recipients: list[str], *, due_at: datetime, prefix: str = "note",
                        batch_id: int | None = None, grace_seconds: int | None = None, **payload) -> None:
    async with deps.uow() as uow:
        for index, user in enumerate(recipients):
            await outbox.enqueue(uow, kind=NOTE_KIND, recipient=user, due_at=due_at, now=due_at - timedelta(minutes=1),
                                 dedupe_key=f"{prefix}:{user}", payload={"n": index, **payload}, batch_id=batch_id,
                                 grace_seconds=grace_seconds)


def dm_texts(fake: FakeSlack, user: str) -> list[str]:
    return [m.get("text", "") for m in fake.dm_messages(user)]
