"""The guard every test runs under (tests/conftest.py): a Slack call made while the calling task is
inside a unit of work is recorded, and the test fails."""

import asyncio

from slack_sdk.web.async_client import AsyncWebClient

from bot.local.slack.server import FakeSlack


async def test_a_slack_call_inside_a_unit_of_work_is_caught(uow_factory, no_slack_call_inside_a_transaction):
    calls = no_slack_call_inside_a_transaction
    fake = FakeSlack(bot_token="xoxb-guard")
    client = AsyncWebClient(token="xoxb-guard", base_url=await fake.start())
    try:
        await client.auth_test()
        async with uow_factory() as uow:
            await uow.coordinators.count()
            await client.auth_test()
            # a task started inside inherits the unit of work, but it counts only while that is open
            closed = asyncio.Event()
            later = asyncio.create_task(_after(closed, client.api_test()))
        closed.set()
        await later
    finally:
        await fake.stop()
    assert calls == ["auth.test"]
    calls.clear()  # caught as it should be: not this test's failure


async def _after(event: asyncio.Event, call) -> None:
    await event.wait()
    await call
