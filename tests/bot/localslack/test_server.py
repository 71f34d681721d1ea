import asyncio
import contextlib
import json

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.local.slack import Activity, FakeSlack


def section(text: str, block_id: str | None = None) -> dict:
    block = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
    if block_id:
        block["block_id"] = block_id
    return block


async def test_post_message_stores_and_records(fake, client):
    response = await client.chat_postMessage(channel="U1", text="こんにちは", blocks=[section("*ようこそ*")])

    assert response["ok"] and response["channel"] == "DU1"
    stored = fake.dm_messages("U1")
    assert [m["text"] for m in stored] == ["こんにちは"]
    assert stored[0]["ts"] == response["ts"] and stored[0]["user"] == "UBOT"
    assert stored[0]["blocks"][0]["text"]["text"] == "*ようこそ*"
    [call] = fake.calls_to("chat.postMessage")
    assert call.status == 200 and call.params["channel"] == "U1" and call.response["ts"] == response["ts"]


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


async def test_users_info_gives_locale_only_when_asked(client):
    plain = await client.users_info(user="U2")
    with_locale = await client.users_info(user="U2", include_locale=True)
    assert "locale" not in plain["user"] and with_locale["user"]["locale"] == "en-US"


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


async def test_ephemeral_needs_channel_membership(fake, client):
    channel = fake.add_channel("general", members=["U1"])
    await client.chat_postEphemeral(channel=channel, user="U1", text="only you")
    with pytest.raises(SlackApiError) as outsider:
        await client.chat_postEphemeral(channel=channel, user="U2", text="x")
    assert [e["text"] for e in fake.ephemerals("U1")] == ["only you"]
    assert outsider.value.response["error"] == "user_not_in_channel"
    assert fake.messages(channel) == []


async def test_file_upload_three_steps(fake, client):
    result = await client.files_upload_v2(content="報告書".encode(), filename="report.txt", title="報告書",
                                          channel="DU1", initial_comment="資料です")
    file_id = result["files"][0]["id"]

    steps = [c.method for c in fake.calls]
    assert steps == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]
    assert fake.file_content(file_id) == "報告書".encode()
    [message] = fake.dm_messages("U1")
    assert message["text"] == "資料です" and message["files"][0]["id"] == file_id
    info = await client.files_info(file=file_id)
    assert info["file"]["title"] == "報告書" and info["file"]["ims"] == ["DU1"]


async def test_complete_upload_without_bytes_is_refused(fake, client):
    url = await client.files_getUploadURLExternal(filename="x.pdf", length=3)
    with pytest.raises(SlackApiError) as refused:
        await client.files_completeUploadExternal(files=[{"id": url["file_id"]}], channel_id="DU1")
    assert refused.value.response["error"] == "file_upload_not_complete"
    assert fake.dm_messages("U1") == []


async def download(fake, url: str, token: str | None) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession() as http:
        async with http.get(url, headers=headers) as response:
            return response.status, await response.read()


async def test_a_persons_file_is_private_to_them_yet_readable_by_the_bot(fake, client):
    file_id = fake.add_user_file("U1", "事例報告.pdf", b"%PDF-1.7 body")

    info = (await client.files_info(file=file_id))["file"]
    anonymous = await download(fake, info["url_private"], None)
    as_bot = await download(fake, info["url_private"], "xoxb-local")

    assert info["user"] == "U1" and info["name"] == "事例報告.pdf" and info["size"] == 13
    assert (info["mimetype"], info["filetype"]) == ("application/pdf", "pdf")
    assert info["is_public"] is False and info["shares"] == {}
    assert info["channels"] == info["groups"] == info["ims"] == []
    assert anonymous[0] == 403 and as_bot == (200, b"%PDF-1.7 body")
    assert [c.params for c in fake.calls_to("download")] == [{"file_id": file_id}]
    assert all(fake.messages(conversation_id) == [] for conversation_id in fake.conversations)


async def test_a_persons_file_type_is_slacks_short_name_unless_given(fake, client):
    text = fake.add_user_file("U1", "memo.TXT", b"x")
    named = fake.add_user_file("U1", "scan", b"x", filetype="png")
    bare = fake.add_user_file("U1", "scan", b"x")
    assert [fake.public_file(f)["filetype"] for f in (text, named, bare)] == ["text", "png", "binary"]
    with pytest.raises(KeyError):
        fake.add_user_file("U404", "x.txt", b"x")


async def test_the_bot_cannot_share_a_persons_upload_as_its_own(fake, client):
    file_id = fake.add_user_file("U1", "memo.txt", b"x")
    with pytest.raises(SlackApiError) as refused:
        await client.files_completeUploadExternal(files=[{"id": file_id}], channel_id="DU1")
    assert refused.value.response["error"] == "file_not_found"
    assert fake.dm_messages("U1") == [] and fake.public_file(file_id)["ims"] == []


async def test_files_upload_v2_lands_in_the_thread_it_names(fake, client):
    channel = fake.add_channel("jirei-s3", members=["U1"])
    parent = await client.chat_postMessage(channel=channel, text="第3回 事例検討会")
    other = await client.chat_postMessage(channel=channel, text="別の話題")
    fake.reset_calls()

    result = await client.files_upload_v2(content="議事録".encode(), filename="minutes.txt", title="議事録",
                                          channel=channel, thread_ts=parent["ts"], initial_comment="資料です")
    file_id = result["files"][0]["id"]

    assert [c.method for c in fake.calls] == ["files.getUploadURLExternal", "upload",
                                              "files.completeUploadExternal"]
    assert fake.calls_to("files.completeUploadExternal")[0].params["thread_ts"] == parent["ts"]
    everything = fake.messages(channel, include_replies=True)
    assert [m["text"] for m in everything] == ["第3回 事例検討会", "別の話題", "資料です"]
    reply = everything[-1]
    assert reply["thread_ts"] == parent["ts"] and [f["id"] for f in reply["files"]] == [file_id]
    assert [m["text"] for m in fake.messages(channel, include_replies=False)] == ["第3回 事例検討会", "別の話題"]
    assert fake.message(channel, parent["ts"])["reply_count"] == 1
    assert "reply_count" not in fake.message(channel, other["ts"])
    replies = await client.conversations_replies(channel=channel, ts=parent["ts"])
    assert [m["ts"] for m in replies["messages"]] == [parent["ts"], reply["ts"]]
    shares = (await client.files_info(file=file_id))["file"]["shares"]
    assert shares == {"public": {channel: [{"ts": reply["ts"], "thread_ts": parent["ts"], "team_id": "TLOCAL",
                                            "channel_name": "jirei-s3"}]}}
    assert fake.file_content(file_id) == "議事録".encode()


async def test_an_upload_naming_a_reply_joins_that_replys_thread(fake, client):
    parent = await client.chat_postMessage(channel="U1", text="親")
    first = await client.chat_postMessage(channel="U1", text="返信", thread_ts=parent["ts"])

    await client.files_upload_v2(content=b"x", filename="a.txt", channel="DU1", thread_ts=first["ts"])

    upload = fake.dm_messages("U1")[-1]
    assert upload["thread_ts"] == parent["ts"]
    assert fake.message("DU1", parent["ts"])["reply_count"] == 2
    assert "reply_count" not in fake.message("DU1", first["ts"])


async def test_an_upload_into_a_missing_thread_or_many_channels_is_refused(fake, client):
    channel = fake.add_channel("jirei-s3", members=["U1"])
    parent = await client.chat_postMessage(channel=channel, text="親")
    with pytest.raises(SlackApiError) as missing:
        await client.files_upload_v2(content=b"x", filename="a.txt", channel=channel, thread_ts="1.000001")
    with pytest.raises(SlackApiError) as many:
        await client.files_upload_v2(content=b"x", filename="a.txt", channels=[channel, "DU1"],
                                     thread_ts=parent["ts"])
    assert missing.value.response["error"] == "thread_not_found"
    assert many.value.response["error"] == "invalid_arguments"
    assert [m["text"] for m in fake.messages(channel)] == ["親"] and fake.dm_messages("U1") == []


async def test_trigger_must_be_issued_fresh_and_unused(fake, client, monotonic):
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "参加登録"},
             "blocks": [section("ok")]}
    trigger = fake.issue_trigger("U1")
    opened = await client.views_open(trigger_id=trigger, view=modal)
    with pytest.raises(SlackApiError) as reused:
        await client.views_open(trigger_id=trigger, view=modal)
    stale = fake.issue_trigger("U1")
    monotonic.advance(3.0)
    with pytest.raises(SlackApiError) as expired:
        await client.views_open(trigger_id=stale, view=modal)
    with pytest.raises(SlackApiError) as invented:
        await client.views_open(trigger_id="123.456.abc", view=modal)

    assert opened["view"]["id"].startswith("V") and fake.current_view("U1")["id"] == opened["view"]["id"]
    assert reused.value.response["error"] == "exchanged_trigger_id"
    assert expired.value.response["error"] == "expired_trigger_id"
    assert invented.value.response["error"] == "invalid_trigger_id"


async def test_views_update_push_publish(fake, client):
    def modal(title: str) -> dict:
        return {"type": "modal", "title": {"type": "plain_text", "text": title}, "blocks": [section(title)]}

    opened = await client.views_open(trigger_id=fake.issue_trigger("U1"), view=modal("one"))
    view_id = opened["view"]["id"]
    await client.views_update(view_id=view_id, hash=opened["view"]["hash"], view=modal("two"))
    with pytest.raises(SlackApiError) as conflict:
        await client.views_update(view_id=view_id, hash=opened["view"]["hash"], view=modal("three"))
    await client.views_push(trigger_id=fake.issue_trigger("U1"), view=modal("pushed"))
    home = {"type": "home", "blocks": [section("ホーム")]}
    await client.views_publish(user_id="U1", view=home)

    assert conflict.value.response["error"] == "hash_conflict"
    assert [v["title"]["text"] for v in fake.modal_stack("U1")] == ["two", "pushed"]
    assert fake.home_view("U1")["blocks"][0]["text"]["text"] == "ホーム"


async def test_view_over_the_limits_is_refused(fake, client):
    view = {"type": "modal", "title": {"type": "plain_text", "text": "x" * 25}, "blocks": [section("ok")]}
    with pytest.raises(SlackApiError) as refused:
        await client.views_open(trigger_id=fake.issue_trigger("U1"), view=view)
    assert refused.value.response["error"] == "invalid_arguments"
    assert any("/view/title/text" in e for e in refused.value.response["errors"])
    assert fake.violations and fake.current_view("U1") is None


async def response_url_post(url: str, body: dict) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json=body) as response:
            return response.status, await response.text()


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
