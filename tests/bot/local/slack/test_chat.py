"""chat.* and response_url posts."""

import pytest
from slack_sdk.errors import SlackApiError

from tests.bot.local.slack.support import response_url_post, section


async def test_post_message_stores_and_records(fake, client):
    response = await client.chat_postMessage(channel="U1", text="こんにちは", blocks=[section("*ようこそ*")])

    assert response["ok"] and response["channel"] == "DU1"
    stored = fake.dm_messages("U1")
    assert [m["text"] for m in stored] == ["こんにちは"]
    assert stored[0]["ts"] == response["ts"] and stored[0]["user"] == "UBOT"
    assert stored[0]["blocks"][0]["text"]["text"] == "*ようこそ*"
    [call] = fake.calls_to("chat.postMessage")
    assert call.status == 200 and call.params["channel"] == "U1" and call.response["ts"] == response["ts"]


async def test_blocks_over_the_limits_are_refused_and_recorded_as_violations(fake, client):
    too_many = [section(f"b{i}") for i in range(51)]
    with pytest.raises(SlackApiError) as refused:
        await client.chat_postMessage(channel="U1", text="x", blocks=too_many)
    with pytest.raises(SlackApiError) as too_long:
        await client.chat_postMessage(channel="U1", text="x", blocks=[section("あ" * 3001)])

    assert refused.value.response["error"] == "invalid_blocks"
    assert any("no more than 50 items" in e for e in refused.value.response["errors"])
    assert "json-pointer:/blocks/0/text/text" in too_long.value.response["errors"][0]
    assert len(fake.violations) == 2
    assert fake.dm_messages("U1") == []


async def test_message_text_over_40000_chars_is_msg_too_long(fake, client):
    with pytest.raises(SlackApiError) as refused:
        await client.chat_postMessage(channel="U1", text="x" * 40_001)
    assert refused.value.response["error"] == "msg_too_long"


async def test_update_delete_and_permalink(fake, client):
    posted = await client.chat_postMessage(channel="U1", text="v1")
    await client.chat_update(channel="DU1", ts=posted["ts"], text="v2")
    link = await client.chat_getPermalink(channel="DU1", message_ts=posted["ts"])
    [message] = fake.dm_messages("U1")
    assert message["text"] == "v2" and message["edited"]["user"] == "UBOT"
    assert posted["ts"].replace(".", "") in link["permalink"]

    await client.chat_delete(channel="DU1", ts=posted["ts"])
    assert fake.dm_messages("U1") == []
    with pytest.raises(SlackApiError) as gone:
        await client.chat_update(channel="DU1", ts=posted["ts"], text="v3")
    assert gone.value.response["error"] == "message_not_found"


async def test_ephemeral_needs_channel_membership(fake, client):
    channel = fake.add_channel("general", members=["U1"])
    await client.chat_postEphemeral(channel=channel, user="U1", text="only you")
    with pytest.raises(SlackApiError) as outsider:
        await client.chat_postEphemeral(channel=channel, user="U2", text="x")
    assert [e["text"] for e in fake.ephemerals("U1")] == ["only you"]
    assert outsider.value.response["error"] == "user_not_in_channel"
    assert fake.messages(channel) == []


async def test_response_url_allows_five_uses(fake):
    url = fake.issue_response_url("U1", "DU1")
    statuses = [(await response_url_post(url, {"text": f"r{i}"}))[0] for i in range(6)]
    status, body = await response_url_post(url, {"text": "again"})

    assert statuses == [200] * 5 + [404]
    assert (status, body) == (404, "used_url")
    assert [e["text"] for e in fake.ephemerals("U1")] == [f"r{i}" for i in range(5)]
    assert len(fake.responses) == 7


async def test_response_url_expires_after_30_minutes(fake, monotonic):
    url = fake.issue_response_url("U1", "DU1")
    monotonic.advance(30 * 60 + 1)
    assert await response_url_post(url, {"text": "late"}) == (404, "expired_url")
    assert fake.ephemerals("U1") == []


async def test_response_url_replaces_and_deletes_the_original(fake, client):
    posted = await client.chat_postMessage(channel="U1", text="card")
    replace_url = fake.issue_response_url("U1", "DU1", posted["ts"])
    await response_url_post(replace_url, {"replace_original": True, "text": "updated card"})
    assert [m["text"] for m in fake.dm_messages("U1")] == ["updated card"]

    await response_url_post(replace_url, {"delete_original": True})
    assert fake.dm_messages("U1") == []
