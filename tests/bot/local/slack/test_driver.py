import asyncio
import json
import time
from urllib.parse import parse_qs

import aiohttp
import pytest
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.local.slack import SettleTimeout, SlackDriver, dispatch_over_http, dispatch_to_app
from bot.local.slack.driver import FORM, DispatchResult, sign

SECRET = "s"

SIGNUP_MODAL = {
    "type": "modal",
    "callback_id": "signup",
    "private_metadata": "S3",
    "title": {"type": "plain_text", "text": "参加登録"},
    "submit": {"type": "plain_text", "text": "登録"},
    "notify_on_close": True,
    "blocks": [
        {"type": "input", "block_id": "name", "label": {"type": "plain_text", "text": "氏名"},
         "element": {"type": "plain_text_input", "action_id": "value"}},
        {"type": "input", "block_id": "bureau", "label": {"type": "plain_text", "text": "地方局"},
         "element": {"type": "static_select", "action_id": "pick", "options": [
             {"text": {"type": "plain_text", "text": "東京"}, "value": "tokyo"},
             {"text": {"type": "plain_text", "text": "大阪"}, "value": "osaka"}]}},
    ],
}


def build_app(base_url: str, seen: list) -> AsyncApp:
    app = AsyncApp(signing_secret=SECRET, client=AsyncWebClient(token="xoxb-local", base_url=base_url))

    @app.command("/jirei")
    async def jirei(ack, command, client):
        await ack(text="受け付けました")
        await asyncio.sleep(0.05)
        if command["text"] == "signup":
            await client.views_open(trigger_id=command["trigger_id"], view=SIGNUP_MODAL)
            return
        await client.chat_postMessage(
            channel=command["user_id"], text="参加しますか？",
            blocks=[{"type": "actions", "block_id": "card", "elements": [
                {"type": "button", "action_id": "join", "value": "S3",
                 "text": {"type": "plain_text", "text": "参加する"}}]}])

    @app.action("join")
    async def join(ack, body, respond):
        await ack()
        seen.append(("join", body["actions"][0]["value"], body["container"]["channel_id"]))
        await respond(replace_original=True, text="参加を受け付けました")

    @app.view("signup")
    async def signup(ack, view):
        name = view["state"]["values"]["name"]["value"]["value"]
        if not name:
            await ack(response_action="errors", errors={"name": "氏名を入力してください"})
            return
        seen.append(("signup", name, view["state"]["values"]["bureau"]["pick"]["selected_option"]["value"],
                     view["private_metadata"]))
        await ack()

    @app.view_closed("signup")
    async def closed(ack):
        await ack()
        seen.append(("closed",))

    @app.event("message")
    async def dm(event, say):
        seen.append(("dm", event["text"]))
        await say(text="メッセージを受け取りました")

    @app.event("app_home_opened")
    async def home(event, client):
        await client.views_publish(user_id=event["user"], view={"type": "home", "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": "ホーム"}}]})

    return app


@pytest.fixture
def seen() -> list:
    return []


@pytest.fixture
def driver(fake, seen) -> SlackDriver:
    app = build_app(fake.base_url, seen)
    return SlackDriver(fake, dispatch_to_app(app), SECRET)


@pytest.fixture
def sent() -> list[tuple[str, dict]]:
    return []


@pytest.fixture
def recording_driver(fake, sent) -> SlackDriver:
    """A driver whose requests reach no app: each is kept in `sent` as (body, headers) and answered 200."""
    async def dispatch(body, headers):
        sent.append((body, headers))
        return DispatchResult(200, "")

    return SlackDriver(fake, dispatch, SECRET)


async def test_command_returns_the_ack_and_settle_waits_for_the_dm(fake, driver):
    reply = await driver.command("U1", "")

    assert reply.status == 200 and reply.ack == {"text": "受け付けました"}
    assert [c.method for c in reply.calls_to("chat.postMessage")] == ["chat.postMessage"]
    assert [m["text"] for m in fake.dm_messages("U1")] == ["参加しますか？"]
    assert [e["text"] for e in fake.ephemerals("U1")] == ["受け付けました"]


async def test_without_settle_the_background_work_is_not_done_yet(fake, driver):
    reply = await driver.command("U1", "", settle=False)
    assert reply.ack == {"text": "受け付けました"} and fake.dm_messages("U1") == []
    await driver.settle()
    assert len(fake.dm_messages("U1")) == 1


async def test_pressing_a_button_in_a_message_reaches_the_action_and_its_response_url(fake, driver, seen):
    await driver.command("U1", "")
    [card] = fake.dm_messages("U1")

    reply = await driver.press("U1", card, "参加する")

    assert reply.status == 200
    assert seen == [("join", "S3", "DU1")]
    assert [c.method for c in reply.calls] == ["response_url"]
    assert [m["text"] for m in fake.dm_messages("U1")] == ["参加を受け付けました"]


async def test_view_submission_with_errors_is_returned_and_the_modal_stays(fake, driver, seen):
    await driver.command("U1", "signup")
    modal = fake.current_view("U1")

    reply = await driver.submit_view("U1", modal, {"name": {"value": ""}, "bureau": {"pick": "tokyo"}})

    assert reply.ack == {"response_action": "errors", "errors": {"name": "氏名を入力してください"}}
    assert fake.current_view("U1")["id"] == modal["id"]
    assert seen == []


async def test_view_submission_closes_the_modal_and_carries_the_state(fake, driver, seen):
    await driver.command("U1", "signup")
    modal = fake.current_view("U1")

    reply = await driver.submit_view("U1", modal, {"name": {"value": {"type": "plain_text_input", "value": "田中"}},
                                                   "bureau": {"pick": "osaka"}})

    assert reply.status == 200 and reply.ack is None
    assert seen == [("signup", "田中", "osaka", "S3")]
    assert fake.current_view("U1") is None


async def test_close_view_sends_view_closed_when_asked(fake, driver, seen):
    await driver.command("U1", "signup")
    reply = await driver.close_view("U1", fake.current_view("U1"))
    assert reply.status == 200 and seen == [("closed",)] and fake.current_view("U1") is None


async def test_send_dm_stores_the_message_and_the_bot_answers(fake, driver, seen):
    reply = await driver.send_dm("U1", "こんにちは")
    assert seen == [("dm", "こんにちは")]
    assert [m["text"] for m in fake.dm_messages("U1")] == ["こんにちは", "メッセージを受け取りました"]
    assert reply.calls_to("chat.postMessage")


async def test_open_home_publishes_the_home_tab(fake, driver):
    await driver.open_home("U1")
    assert fake.home_view("U1")["blocks"][0]["text"]["text"] == "ホーム"


async def test_retried_events_carry_slack_retry_headers(recording_driver, sent):
    await recording_driver.event({"type": "app_mention", "user": "U1", "text": "hi"}, retry_num=1, event_id="Ev1")
    (_, headers), = sent
    assert headers["X-Slack-Retry-Num"] == "1" and headers["X-Slack-Retry-Reason"] == "http_timeout"


async def test_bad_signature_and_stale_timestamp_get_401(driver, fake):
    body = driver.command_body("U1", "")
    bad = await driver.send_raw(body, FORM, signature="v0=" + "0" * 64)
    stale = await driver.send_raw(body, FORM, timestamp=int(time.time()) - 600)
    missing = await driver.unsigned(body, FORM)
    assert (bad.status, stale.status, missing.status) == (401, 401, 401)
    assert fake.dm_messages("U1") == []


def test_signature_matches_slacks_documented_example():
    # The worked example in Slack's "Verifying requests from Slack" guide.
    body = ("token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
            "&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
            "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
            "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c")
    assert sign("8f742231b10e8888abcd99yyyzzz85a5", body, 1531420618) == (
        "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503")


async def test_settle_times_out_on_work_that_never_ends(fake):
    async def dispatch(body, headers):
        asyncio.get_running_loop().create_task(asyncio.sleep(10), name="endless")
        return DispatchResult(200, "")

    driver = SlackDriver(fake, dispatch, SECRET, settle_timeout=0.1)
    with pytest.raises(SettleTimeout, match="endless"):
        await driver.send_dm("U1", "x")
    for task in asyncio.all_tasks():
        if task.get_name() == "endless":
            task.cancel()


async def test_dispatch_over_http_reaches_a_running_bot(fake, seen):
    app = build_app(fake.base_url, seen)

    async def events(request: web.Request) -> web.Response:
        bolt_response = await app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    web_app = web.Application()
    web_app.router.add_post("/slack/events", events)
    runner = web.AppRunner(web_app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        driver = SlackDriver(fake, dispatch_over_http(f"http://127.0.0.1:{port}/slack/events"), SECRET)
        reply = await driver.command("U1", "")
    finally:
        await runner.cleanup()
    assert reply.status == 200 and reply.ack == {"text": "受け付けました"}
    assert [m["text"] for m in fake.dm_messages("U1")] == ["参加しますか？"]


async def test_settle_leaves_tasks_that_existed_before_alone(fake, driver):
    long_lived = asyncio.create_task(asyncio.sleep(10), name="scheduler-like")
    try:
        await driver.settle(timeout=0.2)  # before any interaction: nothing of ours is running
        await driver.command("U1", "")
    finally:
        long_lived.cancel()
    assert len(fake.dm_messages("U1")) == 1


async def test_clicking_a_select_inside_a_modal_sends_the_view(fake, recording_driver, sent):
    driver = recording_driver
    await fake_open(fake, "U1")
    await driver.click("U1", "pick", "osaka", view=fake.current_view("U1"))

    payload = json.loads(parse_qs(sent[0][0])["payload"][0])
    assert payload["container"] == {"type": "view", "view_id": fake.current_view("U1")["id"]}
    assert payload["actions"][0]["selected_option"]["value"] == "osaka"
    assert payload["actions"][0]["block_id"] == "bureau" and "response_url" not in payload


async def fake_open(fake, user_id: str) -> None:
    client = AsyncWebClient(token="xoxb-local", base_url=fake.base_url)
    await client.views_open(trigger_id=fake.issue_trigger(user_id), view=SIGNUP_MODAL)


UPLOAD_MODAL = {
    "type": "modal",
    "callback_id": "upload",
    "title": {"type": "plain_text", "text": "資料の提出"},
    "submit": {"type": "plain_text", "text": "提出"},
    "blocks": [
        {"type": "input", "block_id": "material", "label": {"type": "plain_text", "text": "資料"},
         "element": {"type": "file_input", "action_id": "file", "filetypes": ["pdf", "txt"], "max_files": 1}},
    ],
}


def build_upload_app(base_url: str, seen: list) -> AsyncApp:
    """Opens a modal with a file_input; on submission downloads the file as Slack allows and posts its size."""
    app = AsyncApp(signing_secret=SECRET, client=AsyncWebClient(token="xoxb-local", base_url=base_url))

    @app.command("/jirei")
    async def open_upload(ack, command, client):
        await ack()
        await client.views_open(trigger_id=command["trigger_id"], view=UPLOAD_MODAL)

    @app.view("upload")
    async def submitted(ack, body, view, client):
        files = view["state"]["values"]["material"]["file"]["files"]
        if not files:
            await ack(response_action="errors", errors={"material": "ファイルを選んでください"})
            return
        await ack()
        seen.append(files)
        info = await client.files_info(file=files[0]["id"])
        async with aiohttp.ClientSession() as http:
            async with http.get(info["file"]["url_private"],
                                headers={"Authorization": f"Bearer {client.token}"}) as response:
                response.raise_for_status()
                data = await response.read()
        await client.chat_postMessage(channel=body["user"]["id"], text=f"{len(data)} bytes")

    return app


@pytest.fixture
def upload_driver(fake, seen) -> SlackDriver:
    return SlackDriver(fake, dispatch_to_app(build_upload_app(fake.base_url, seen)), SECRET)


async def test_a_file_submitted_in_a_modal_is_downloaded_by_the_bot(fake, upload_driver, seen):
    content = "外国人相談の事例".encode()
    file_id = fake.add_user_file("U1", "case.txt", content)
    await upload_driver.command("U1", "")
    modal = fake.current_view("U1")

    reply = await upload_driver.submit_view("U1", modal, {"material": {"file": [file_id]}})

    assert reply.status == 200 and reply.ack is None and fake.current_view("U1") is None
    [[file]] = seen
    assert file["id"] == file_id and file["name"] == "case.txt" and file["user"] == "U1"
    assert (file["mimetype"], file["filetype"]) == ("text/plain", "text")
    assert file["url_private"] == f"{fake.root_url}/files/{file_id}"
    assert [c.method for c in reply.calls] == ["files.info", "download", "chat.postMessage"]
    assert [m["text"] for m in fake.dm_messages("U1")] == [f"{len(content)} bytes"]


async def test_file_input_state_is_slacks_shape_and_a_dict_overrides_fields(fake, recording_driver, sent):
    driver = recording_driver
    file_id = fake.add_user_file("U1", "case.pdf", b"%PDF")
    await AsyncWebClient(token="xoxb-local", base_url=fake.base_url).views_open(
        trigger_id=fake.issue_trigger("U1"), view=UPLOAD_MODAL)

    await driver.submit_view("U1", fake.current_view("U1"), {"material": {"file": [{"id": file_id, "title": "報告"}]}})

    payload = json.loads(parse_qs(sent[0][0])["payload"][0])
    state = payload["view"]["state"]["values"]["material"]["file"]
    assert state["type"] == "file_input" and [f["id"] for f in state["files"]] == [file_id]
    assert state["files"][0]["title"] == "報告" and state["files"][0]["size"] == 4
    assert "uploaded" not in state["files"][0] and "completed" not in state["files"][0]


async def test_an_empty_file_input_reaches_the_bot_as_no_files(fake, upload_driver, seen):
    await upload_driver.command("U1", "")
    reply = await upload_driver.submit_view("U1", fake.current_view("U1"), {"material": {"file": []}})
    assert reply.ack == {"response_action": "errors", "errors": {"material": "ファイルを選んでください"}}
    assert seen == [] and fake.current_view("U1") is not None


async def test_file_input_refuses_what_slacks_client_would_not_allow(fake, upload_driver, seen):
    await upload_driver.command("U1", "")
    modal = fake.current_view("U1")
    pdf = fake.add_user_file("U1", "a.pdf", b"1")
    second = fake.add_user_file("U1", "b.pdf", b"2")
    sheet = fake.add_user_file("U1", "list.xlsx", b"3")
    someone_elses = fake.add_user_file("U2", "c.pdf", b"4")
    fake.reset_calls()

    with pytest.raises(ValueError, match="at most 1"):
        await upload_driver.submit_view("U1", modal, {"material": {"file": [pdf, second]}})
    with pytest.raises(ValueError, match="list.xlsx"):
        await upload_driver.submit_view("U1", modal, {"material": {"file": [sheet]}})
    with pytest.raises(ValueError, match="their own uploads"):
        await upload_driver.submit_view("U1", modal, {"material": {"file": [someone_elses]}})
    with pytest.raises(LookupError, match="F404"):
        await upload_driver.submit_view("U1", modal, {"material": {"file": ["F404"]}})

    assert seen == [] and fake.calls == [] and fake.current_view("U1")["id"] == modal["id"]
