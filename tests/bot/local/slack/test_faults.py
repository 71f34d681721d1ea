"""Fault switches: rate limits, failures, outages, delays."""

import asyncio
import contextlib

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient


async def test_rate_limit_answers_429_with_retry_after(fake, client):
    fake.set_rate_limit("chat.postMessage", per_second=1, burst=2)
    await client.chat_postMessage(channel="U1", text="1")
    await client.chat_postMessage(channel="U1", text="2")
    with pytest.raises(SlackApiError) as limited:
        await client.chat_postMessage(channel="U1", text="3")

    assert limited.value.response.status_code == 429
    assert limited.value.response["error"] == "ratelimited"
    assert int(limited.value.response.headers["Retry-After"]) >= 1
    assert fake.rate_limited_count == 1
    assert [m["text"] for m in fake.dm_messages("U1")] == ["1", "2"]


async def test_rate_limit_bucket_refills_with_the_clock(fake, client, monotonic):
    fake.set_rate_limit("chat.postMessage", per_second=1, burst=1)
    await client.chat_postMessage(channel="U1", text="1")
    monotonic.advance(1.0)
    await client.chat_postMessage(channel="U1", text="2")
    assert fake.rate_limited_count == 0


async def test_fail_answers_the_status_n_times_without_effect(fake, client):
    fake.fail("chat.postMessage", status=500, times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as failed:
            await client.chat_postMessage(channel="U1", text="lost")
        assert failed.value.response.status_code == 500
    await client.chat_postMessage(channel="U1", text="kept")

    assert [m["text"] for m in fake.dm_messages("U1")] == ["kept"]
    assert [c.status for c in fake.calls_to("chat.postMessage")] == [500, 500, 200]


async def test_fail_ratio_is_reproducible(fake, client):
    async def run(seed: int) -> list[int]:
        fake.reset_calls()
        fake.fail_ratio("chat.postMessage", 0.3, seed=seed)
        for i in range(40):
            with contextlib.suppress(SlackApiError):  # failures are counted from the recorded calls
                await client.chat_postMessage(channel="U1", text=str(i))
        return [c.status for c in fake.calls_to("chat.postMessage")]

    first, second = await run(7), await run(7)
    assert first == second and 500 in first and 200 in first
    assert len(fake.dm_messages("U1")) == first.count(200) * 2


async def test_outage_answers_every_method_until_it_ends(fake, client, monotonic):
    fake.outage(status=503, seconds=60)
    with pytest.raises(SlackApiError) as down:
        await client.chat_postMessage(channel="U1", text="x")
    with pytest.raises(SlackApiError):
        await client.users_info(user="U1")
    assert down.value.response.status_code == 503

    fake.end_outage()
    assert (await client.chat_postMessage(channel="U1", text="back"))["ok"]
    fake.outage(status=503, seconds=10)
    monotonic.advance(11)
    assert (await client.users_info(user="U1"))["ok"]
    assert [m["text"] for m in fake.dm_messages("U1")] == ["back"]


async def test_delay_makes_a_method_slow_enough_to_time_out(fake):
    fake.delay("users.info", 0.5)
    slow = AsyncWebClient(token="xoxb-local", base_url=fake.base_url, timeout=0.1)
    with pytest.raises(asyncio.TimeoutError):
        await slow.users_info(user="U1")
    fake.clear_faults()
    assert (await slow.users_info(user="U1"))["ok"]
