"""conversations.*: channels, DMs, members, history."""

import pytest
from slack_sdk.errors import SlackApiError


async def test_ts_strictly_increase_and_history_is_newest_first(fake, client):
    channel = fake.add_channel("general")
    for i in range(5):
        await client.chat_postMessage(channel=channel, text=f"m{i}")
    ts = [m["ts"] for m in fake.messages(channel)]
    assert ts == sorted(ts) and len(set(ts)) == 5

    page = await client.conversations_history(channel=channel, limit=2)
    assert [m["text"] for m in page["messages"]] == ["m4", "m3"] and page["has_more"]
    rest = await client.conversations_history(channel=channel, cursor=page["response_metadata"]["next_cursor"])
    assert [m["text"] for m in rest["messages"]] == ["m2", "m1", "m0"] and not rest["has_more"]
    window = await client.conversations_history(channel=channel, oldest=ts[1], latest=ts[3])
    assert [m["text"] for m in window["messages"]] == ["m2"]


async def test_history_includes_metadata_only_when_asked(fake, client):
    metadata = {"event_type": "session_card", "event_payload": {"code": "S3"}}
    await client.chat_postMessage(channel="U1", text="card", metadata=metadata)

    plain = await client.conversations_history(channel="DU1")
    with_metadata = await client.conversations_history(channel="DU1", include_all_metadata=True)

    assert "metadata" not in plain["messages"][0]
    assert with_metadata["messages"][0]["metadata"] == metadata


async def test_channel_and_user_checks(fake, client):
    fake.add_user("U9", "gone", deleted=True)
    with pytest.raises(SlackApiError) as missing:
        await client.chat_postMessage(channel="C9999", text="x")
    with pytest.raises(SlackApiError) as inactive:
        await client.chat_postMessage(channel="U9", text="x")
    with pytest.raises(SlackApiError) as unknown_user:
        await client.users_info(user="U404")
    assert missing.value.response["error"] == "channel_not_found"
    assert inactive.value.response["error"] == "account_inactive"
    assert unknown_user.value.response["error"] == "user_not_found"


async def test_conversations_open_create_invite_members_archive(fake, client):
    dm = await client.conversations_open(users="U1")
    group = await client.conversations_open(users="U1,U2")
    created = await client.conversations_create(name="jirei-s3", is_private=True)
    channel_id = created["channel"]["id"]
    await client.conversations_invite(channel=channel_id, users="U1,U2")
    members = await client.conversations_members(channel=channel_id)
    info = await client.conversations_info(channel=channel_id)
    await client.conversations_archive(channel=channel_id)

    assert dm["channel"]["id"] == "DU1"
    assert group["channel"]["id"].startswith("G") and group["channel"]["is_mpim"]
    assert set(members["members"]) == {"UBOT", "U1", "U2"}
    assert info["channel"]["is_private"] and info["channel"]["name"] == "jirei-s3"
    with pytest.raises(SlackApiError) as archived:
        await client.chat_postMessage(channel=channel_id, text="x")
    assert archived.value.response["error"] == "is_archived"
    with pytest.raises(SlackApiError) as taken:
        await client.conversations_create(name="jirei-s3")
    assert taken.value.response["error"] == "name_taken"
