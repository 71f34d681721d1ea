"""The fake Slack's core: tokens, the method table, form-encoded calls, the record and activity."""

import asyncio
import json

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.local.slack import Activity, FakeSlack
from tests.bot.local.slack.support import response_url_post, section


async def test_form_encoded_calls_with_json_string_fields_are_decoded(fake):
    async with aiohttp.ClientSession() as session:
        async with session.post(fake.base_url + "chat.postMessage",
                                data={"token": "xoxb-local", "channel": "U1", "text": "t",
                                      "blocks": json.dumps([section("form")])}) as response:
            body = await response.json()
    assert body["ok"]
    assert fake.dm_messages("U1")[0]["blocks"][0]["text"]["text"] == "form"


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
async def test_auth_unknown_method_and_missing_text(fake):
    wrong = AsyncWebClient(token="xoxb-wrong", base_url=fake.base_url)
    client = AsyncWebClient(token="xoxb-local", base_url=fake.base_url)
    with pytest.raises(SlackApiError) as bad_auth:
        await wrong.chat_postMessage(channel="U1", text="x")
    with pytest.raises(SlackApiError) as unknown:
        await client.api_call("chat.teleport")
    with pytest.raises(SlackApiError) as no_text:
        await client.chat_postMessage(channel="U1")
    assert bad_auth.value.response["error"] == "invalid_auth"
    assert unknown.value.response["error"] == "unknown_method"
    assert no_text.value.response["error"] == "no_text"
    assert fake.dm_messages("U1") == []


async def test_auth_test_answers_bot_identity(client):
    response = await client.auth_test()
    assert response["user_id"] == "UBOT" and response["team_id"] == "TLOCAL" and response["bot_id"]


async def test_latency_holds_every_web_api_call_and_response_url_post(fake):
    fake.latency = 0.5
    slow = AsyncWebClient(token="xoxb-local", base_url=fake.base_url, timeout=0.1)
    with pytest.raises(asyncio.TimeoutError):
        await slow.chat_postMessage(channel="U1", text="x")
    url = fake.issue_response_url("U1", "DU1")
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=0.1)) as http:
        with pytest.raises(asyncio.TimeoutError):
            await http.post(url, json={"text": "late"})
    fake.latency = 0.0
    assert (await slow.users_info(user="U1"))["ok"]
    assert await response_url_post(url, {"text": "now"}) == (200, "ok")


async def test_on_record_queue_sees_posts(fake, client):
    queue: asyncio.Queue = asyncio.Queue()
    fake.on_record = queue
    await client.chat_postMessage(channel="U1", text="hello")
    activity = queue.get_nowait()
    assert isinstance(activity, Activity)
    assert (activity.kind, activity.conversation_id, activity.item["text"]) == ("message", "DU1", "hello")


async def test_three_hundred_posts_stay_fast_and_ordered():
    async with FakeSlack() as fake:
        fake.add_user("U1", "tanaka")
        client = AsyncWebClient(token="xoxb-local", base_url=fake.base_url)
        await asyncio.gather(*(client.chat_postMessage(channel="U1", text=str(i)) for i in range(300)))
        history = await client.conversations_history(channel="DU1", limit=999)
    assert len(history["messages"]) == 300
    assert [m["ts"] for m in history["messages"]] == sorted((m["ts"] for m in history["messages"]), reverse=True)
