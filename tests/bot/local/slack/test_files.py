"""files.*: uploads in three steps, people's files, downloads."""

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError


async def download(fake, url: str, token: str | None) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession() as http:
        async with http.get(url, headers=headers) as response:
            return response.status, await response.read()


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
