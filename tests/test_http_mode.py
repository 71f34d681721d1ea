"""HTTP mode: what Slack's servers see when they call POST /slack/events."""

import time

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bot.app import build_app
from bot.deps import build_deps
from bot.http_server import build_web_app
from bot.localslack.driver import SlackDriver, dispatch_over_http
from bot.localslack.server import FakeSlack
from config.settings import Settings
from storage.crypto import Cipher, generate_key

SECRET = "http-test-secret"


@pytest.fixture
async def served(sqlite_url):
    async with FakeSlack() as fake:
        fake.add_user("UCOORD01", "佐藤 花子")
        base = fake.base_url
        deps = await build_deps(Settings(DATABASE_URL=sqlite_url, SLACK_API_URL=base, SLACK_BOT_TOKEN="xoxb-local",
                                         SLACK_SIGNING_SECRET=SECRET), cipher=Cipher(generate_key()))
        app = build_app(deps, signing_secret=SECRET, bot_token="xoxb-local", bot_user_id=fake.bot_user_id)
        server = TestServer(build_web_app(app))
        await server.start_server()
        url = str(server.make_url("/slack/events"))
        driver = SlackDriver(fake, dispatch_over_http(url), SECRET)
        try:
            yield server, driver, fake
        finally:
            await server.close()
            await deps.close()


async def test_unsigned_and_stale_requests_are_refused(served):
    server, driver, fake = served
    body = driver.command_body("UCOORD01", "help")
    unsigned = await driver.unsigned(body, "application/x-www-form-urlencoded")
    assert unsigned.status == 401
    stale = await driver.send_raw(body, "application/x-www-form-urlencoded", timestamp=int(time.time()) - 6 * 60)
    assert stale.status == 401
    forged = await driver.send_raw(body, "application/x-www-form-urlencoded", signature="v0=" + "0" * 64)
    assert forged.status == 401
    assert fake.calls == [] or all(call.method != "chat.postMessage" for call in fake.calls)


async def test_help_is_acknowledged_with_the_help_text(served):
    _server, driver, _fake = served
    reply = await driver.command("UCOORD01", "help")
    assert reply.status == 200
    text = str(reply.answer)
    assert "/jirei join S1" in text and "admin session new" not in text


@pytest.mark.parametrize("text", ["frobnicate", "join", "join 99", 'admin case new title="x', "\u0000\u202e", "x" * 5000])
async def test_malformed_input_gets_usage_never_a_500(served, text):
    _server, driver, _fake = served
    reply = await driver.command("UCOORD01", text)
    assert reply.status == 200
    assert reply.answer and (reply.answer[0].get("blocks") or reply.answer[0].get("text"))
    assert "Traceback" not in str(reply.answer)


async def test_healthz_and_metrics(served):
    server, _driver, _fake = served
    async with aiohttp.ClientSession() as http:
        async with http.get(str(server.make_url("/healthz"))) as response:
            assert response.status == 200 and (await response.json()) == {"ok": True}
        async with http.get(str(server.make_url("/metrics"))) as response:
            assert response.status == 200
            assert "jirei_deliveries_pending" in await response.text()
