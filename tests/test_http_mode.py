"""HTTP mode: what Slack's servers see when they call POST /slack/events, and who sees /metrics."""

import json
import logging
import socket
import time
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.app import build_app
from bot.deps import build_deps
from bot.features import WIRING
from bot.http_server import MAX_BODY, build_web_app, start_listeners
from bot.core.i18n import t
from bot.local.slack.driver import FORM, JSON, SlackDriver, dispatch_over_http, dispatch_to_app, sign
from bot.local.slack.server import FakeSlack
from config.settings import Settings
from storage.crypto import Cipher, generate_key

SECRET = "http-test-secret"
NAME = "秘密川 太郎"
FREE_TEXT = "相談者は夫からの暴力で避難中です"


@pytest.fixture
async def stack(sqlite_url):
    """The fake Slack, and the real app on a fresh database."""
    async with FakeSlack() as fake:
        fake.add_user("UCOORD01", "佐藤 花子")
        settings = Settings(DATABASE_URL=sqlite_url, SLACK_API_URL=fake.base_url, SLACK_BOT_TOKEN="xoxb-local",
                            SLACK_SIGNING_SECRET=SECRET)
        deps = await build_deps(settings, cipher=Cipher(generate_key()))
        app = build_app(deps, WIRING, signing_secret=SECRET, bot_token="xoxb-local", bot_user_id=fake.bot_user_id)
        try:
            yield fake, app, settings
        finally:
            await deps.close()


@pytest.fixture
async def served(stack):
    fake, app, _settings = stack
    server = TestServer(build_web_app(app, SECRET))
    await server.start_server()
    url = str(server.make_url("/slack/events"))
    driver = SlackDriver(fake, dispatch_over_http(url), SECRET)
    try:
        yield server, driver, fake
    finally:
        await server.close()


@pytest.fixture
async def recorder():
    """A local server standing in for any URL an attacker might name: it records every request."""
    seen: list[str] = []

    async def record(request: web.Request) -> web.Response:
        seen.append(f"{request.method} {request.path}")
        return web.json_response({"ok": True})

    web_app = web.Application()
    web_app.router.add_route("*", "/{tail:.*}", record)
    server = TestServer(web_app)
    await server.start_server()
    try:
        yield str(server.make_url("/hook")), seen
    finally:
        await server.close()


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


async def test_unsigned_stale_and_tampered_requests_change_nothing(served):
    """A request that would switch the person's language does nothing unless Slack signed exactly
    that body, and recently; signed, it does (so the check is what stopped the others)."""
    _server, driver, fake = served
    help_before = str((await driver.command("UCOORD01", "help")).answer)
    switch = driver.command_body("UCOORD01", "profile set lang=en")
    now = int(time.time())
    refused = [
        await driver.unsigned(switch, FORM),
        await driver.send_raw(switch, FORM, timestamp=now - 6 * 60),
        await driver.send_raw(switch, FORM, signature=sign(SECRET, driver.command_body("UCOORD01", "help"), now),
                              timestamp=now),
        await driver.send_raw(switch + "&x=1", FORM, signature=sign(SECRET, switch, now), timestamp=now),
    ]
    assert [reply.status for reply in refused] == [401] * 4
    assert all(reply.calls == [] for reply in refused)
    assert str((await driver.command("UCOORD01", "help")).answer) == help_before
    assert (await driver.command("UCOORD01", "profile set lang=en")).status == 200
    assert str((await driver.command("UCOORD01", "help")).answer) != help_before


async def test_http_mode_checks_a_signature_once(served, monkeypatch):
    """The HTTP layer checks the raw bytes and marks the request; the app's middleware does not
    check it again."""
    from slack_sdk.signature import SignatureVerifier

    _server, driver, _fake = served
    checks = []
    is_valid = SignatureVerifier.is_valid

    def counted(self, body, timestamp, signature):
        checks.append(timestamp)
        return is_valid(self, body, timestamp, signature)

    monkeypatch.setattr(SignatureVerifier, "is_valid", counted)
    reply = await driver.command("UCOORD01", "help")
    assert reply.status == 200 and reply.answer
    assert len(checks) == 1


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


async def test_the_slack_listener_answers_healthz_but_not_metrics(served):
    server, _driver, _fake = served
    async with aiohttp.ClientSession() as http:
        async with http.get(str(server.make_url("/healthz"))) as response:
            assert response.status == 200 and (await response.json()) == {"ok": True}
        async with http.get(str(server.make_url("/metrics"))) as response:
            assert response.status == 404


# --- requests Slack did not sign ------------------------------------------------------------------

TS, SIG = "X-Slack-Request-Timestamp", "X-Slack-Signature"


def forgeries(body: bytes) -> dict[str, dict[str, str]]:
    """Every way of sending `body` without Slack's signature, as the headers that go with it."""
    now = str(int(time.time()))
    stale, future = str(int(time.time()) - 6 * 60), str(int(time.time()) + 6 * 60)
    good = sign(SECRET, body, now)
    full_width_now = now.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    return {
        "timestamp abc": {TS: "abc", SIG: good},
        "timestamp empty": {TS: "", SIG: good},
        "timestamp 1.5": {TS: "1.5", SIG: good},
        "timestamp 1e3": {TS: "1e3", SIG: good},
        "timestamp with spaces": {TS: f" {now} ", SIG: sign(SECRET, body, f" {now} ")},
        "timestamp in full-width digits": {TS: full_width_now, SIG: good},
        "timestamp missing": {SIG: good},
        "signature missing": {TS: now},
        "both headers missing": {},
        "signature not ASCII": {TS: now, SIG: "v0=" + "é" * 64},
        "signature in full-width hex": {TS: now, SIG: "v0=" + "０" * 64},
        "signature empty": {TS: now, SIG: ""},
        "stale, signed": {TS: stale, SIG: sign(SECRET, body, stale)},
        "from the future, signed": {TS: future, SIG: sign(SECRET, body, future)},
        "wrong signature": {TS: now, SIG: "v0=" + "0" * 64},
        "signed with another secret": {TS: now, SIG: sign("another-secret", body, now)},
        "signature of another body": {TS: now, SIG: sign(SECRET, body + b" ", now)},
    }


def bodies(fake: FakeSlack, hook: str) -> dict[str, tuple[bytes, str]]:
    """Payloads naming `hook` wherever Slack puts a URL to answer through, and malformed ones."""
    command = urlencode({"command": "/jirei", "text": f'profile set name="{NAME}"', "user_id": "UCOORD01",
                         "channel_id": fake.dm_channel_id("UCOORD01"), "team_id": "TLOCAL", "response_url": hook,
                         "trigger_id": "1.2.3"})
    action = {"type": "block_actions", "user": {"id": "UCOORD01"}, "team": {"id": "TLOCAL"}, "response_url": hook,
              "actions": [{"action_id": "nonexistent", "block_id": "b", "action_ts": "1.2", "value": FREE_TEXT}]}
    submission = {"type": "view_submission", "user": {"id": "UCOORD01"}, "team": {"id": "TLOCAL"},
                  "view": {"id": "V1", "hash": "h", "callback_id": "x", "state": {"values": {}}},
                  "response_urls": [{"response_url": hook, "block_id": "b", "action_id": "a", "channel_id": "D1"}]}
    event = {"type": "event_callback", "team_id": "TLOCAL", "event_id": "Ev1",
             "event": {"type": "message", "channel_type": "im", "user": "UCOORD01", "text": FREE_TEXT}}
    return {
        "command": (command.encode(), FORM),
        "button": (urlencode({"payload": json.dumps(action)}).encode(), FORM),
        "submission": (urlencode({"payload": json.dumps(submission)}).encode(), FORM),
        "event": (json.dumps(event).encode(), JSON),
        "invalid UTF-8": (b"command=%2Fjirei&text=\\xff\\xfe&response_url=" + hook.encode() + b"&x=\xff\xfe", FORM),
        "payload not JSON": (b"payload=not json", FORM),
        "payload a list": (b"payload=[]", FORM),
        "deep JSON": (b"payload=" + b"[" * 100_000, FORM),
        "empty": (b"", FORM),
    }


async def status_of(send, body: bytes, headers: dict[str, str]) -> int:
    return (await send(body, headers)).status


async def test_every_forged_request_is_refused_with_401_before_its_body_is_read(served, recorder):
    server, driver, fake = served
    hook, seen = recorder
    send = dispatch_over_http(str(server.make_url("/slack/events")))
    statuses = {}
    driver.mark()
    for body_name, (body, content_type) in bodies(fake, hook).items():
        for forgery, headers in forgeries(body).items():
            statuses[body_name, forgery] = await status_of(send, body, {"Content-Type": content_type, **headers})
    await driver.settle()
    assert {status for status in statuses.values()} == {401}, {k: v for k, v in statuses.items() if v != 401}
    assert seen == []  # the bot called no URL a forged body named
    assert fake.calls == [] and fake.responses == []


async def test_forged_requests_dispatched_into_the_app_are_refused_too(stack, recorder):
    """The check as a Bolt middleware (console, tests, any other adapter): the same refusals."""
    fake, app, _settings = stack
    hook, seen = recorder
    driver = SlackDriver(fake, dispatch_to_app(app), SECRET)
    dispatch = dispatch_to_app(app)
    statuses = {}
    driver.mark()
    for body_name in ("command", "button", "submission", "event"):
        body, content_type = bodies(fake, hook)[body_name]
        for forgery, headers in forgeries(body).items():
            result = await dispatch(body.decode(), {"Content-Type": content_type, **headers})
            statuses[body_name, forgery] = result.status
    await driver.settle()
    assert {status for status in statuses.values()} == {401}, {k: v for k, v in statuses.items() if v != 401}
    assert seen == [] and fake.calls == [] and fake.responses == []


async def test_the_error_handler_answers_only_requests_slack_signed(stack, recorder):
    """Should anything fail before the signature is checked (Bolt's ssl_check runs first), the error
    handler still never answers through a URL the request named; after the check it answers."""
    from slack_bolt.middleware.async_custom_middleware import AsyncCustomMiddleware
    from slack_bolt.request.async_request import AsyncBoltRequest

    fake, app, _settings = stack
    hook, seen = recorder

    async def fail(next):  # noqa: A002 - Bolt's name
        raise RuntimeError("broken")

    app._async_middleware_list.insert(0, AsyncCustomMiddleware(app_name=app.name, func=fail))
    body = bodies(fake, hook)["command"][0].decode()
    response = await app.async_dispatch(AsyncBoltRequest(body=body, headers={"Content-Type": FORM}))
    assert response.status == 500 and seen == [] and fake.responses == []

    app._async_middleware_list.pop(0)
    app.use(AsyncCustomMiddleware(app_name=app.name, func=fail))  # after the check: a signed request fails
    driver = SlackDriver(fake, dispatch_to_app(app), SECRET)
    reply = await driver.command("UCOORD01", "help")
    assert reply.status == 500 and seen == []
    assert t("errors.generic", "ja") in str(reply.answer)


# --- the operators' listener --------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("host_setting, bound_to", [(None, "127.0.0.1"), ("0.0.0.0", "0.0.0.0")])
async def test_metrics_have_a_listener_of_their_own_on_loopback_unless_set(stack, host_setting, bound_to):
    fake, app, settings = stack
    metrics_port = free_port()
    chosen = {"JIREI_METRICS_HOST": host_setting} if host_setting else {}
    settings = Settings(DATABASE_URL=settings.database_url, SLACK_SIGNING_SECRET=SECRET,
                        JIREI_METRICS_PORT=metrics_port, **chosen)
    runners = await start_listeners(settings, app, host="127.0.0.1", port=0)
    try:
        ops, slack = runners
        assert [address[:2] for address in ops.addresses] == [(bound_to, metrics_port)]
        slack_port = slack.addresses[0][1]
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{metrics_port}/metrics") as response:
                assert response.status == 200 and "jirei_deliveries_pending" in await response.text()
            async with http.get(f"http://127.0.0.1:{metrics_port}/healthz") as response:
                assert response.status == 200
            async with http.get(f"http://127.0.0.1:{slack_port}/metrics") as response:
                assert response.status == 404  # whoever reaches Slack's endpoint does not get the metrics
            async with http.get(f"http://127.0.0.1:{slack_port}/healthz") as response:
                assert response.status == 200
    finally:
        for runner in runners:
            await runner.cleanup()



# --- what a refusal leaves in the log -------------------------------------------------------------

@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
async def test_a_refused_request_is_one_log_line_with_no_body(served, stack, recorder, production_logging, caplog,
                                                               level):
    """A stale but genuine request carries names and free text: none of it reaches the log, whatever
    the level; an unsigned 1 MiB body is one short line; a bigger one is refused with 413; a reason
    logged within the minute is not logged again."""
    server, driver, fake = served
    _fake, app, _settings = stack
    hook, _seen = recorder
    logging.getLogger().setLevel(level)
    caplog.set_level(level)
    send = dispatch_over_http(str(server.make_url("/slack/events")))
    body = bodies(fake, hook)["command"][0] + urlencode({"note": FREE_TEXT}).encode()
    stale = forgeries(body)["stale, signed"]
    big = (b"text=" + urlencode({"x": NAME}).encode() * (MAX_BODY // 40))[:MAX_BODY]
    sent = [
        await status_of(send, body, {"Content-Type": FORM, **stale}),
        await status_of(send, body, {"Content-Type": FORM}),
        await status_of(send, body, {"Content-Type": FORM, **forgeries(body)["timestamp abc"]}),
        await status_of(send, big, {"Content-Type": FORM, TS: str(int(time.time())), SIG: "v0=" + "0" * 64}),
        await status_of(send, big + b"x", {"Content-Type": FORM}),
        (await dispatch_to_app(app)(body.decode(), {"Content-Type": FORM, **stale})).status,
    ]
    assert sent == [401, 401, 401, 401, 413, 401]
    logged = [record for record in caplog.records if not record.name.startswith("aiosqlite")]
    refusals = [record.getMessage() for record in logged if "refused" in record.getMessage()]
    # One line per request, but only the first of a reason within a minute: the last repeats the first.
    assert len(refusals) == len(sent) - 1 and "stale timestamp" in refusals[0], refusals
    assert all(len(line) < 100 for line in refusals), refusals
    everything = "\n".join(record.getMessage() + repr(record.__dict__) for record in logged)
    everything += production_logging.getvalue()
    assert NAME not in everything and FREE_TEXT not in everything and "秘密川" not in everything
    assert "UCOORD01" not in everything
    assert max(len(line) for line in production_logging.getvalue().splitlines()) < 1000


# --- floods and stalls ------------------------------------------------------------------------------

async def test_a_flood_of_unsigned_requests_is_a_few_log_lines_and_all_counted(served, caplog, monkeypatch):
    """Anyone can send requests: 3,000 unsigned ones write one WARNING line (the clock standing still
    within the minute), the next after the minute says how many were held back, and /metrics counts
    every one."""
    from bot import signing
    from bot.http_server import build_ops_app

    server, _driver, _fake = served
    now = [1000.0]
    monkeypatch.setattr(signing.REFUSALS, "clock", lambda: now[0])
    ops = TestServer(build_ops_app())
    await ops.start_server()

    async def refused_count(http) -> float:
        async with http.get(ops.make_url("/metrics")) as response:
            text = await response.text()
        line = next((line for line in text.splitlines()
                     if line.startswith('jirei_requests_refused_total{reason="no timestamp",status="401"}')), None)
        return float(line.rsplit(" ", 1)[1]) if line else 0.0

    caplog.set_level(logging.WARNING)
    try:
        async with aiohttp.ClientSession() as http:  # one kept-alive connection, as a flood would use
            before = await refused_count(http)
            statuses = set()
            for _ in range(3000):
                async with http.post(server.make_url("/slack/events"), data=b"command=%2Fjirei&text=help",
                                     headers={"Content-Type": FORM}) as response:
                    statuses.add(response.status)
            assert statuses == {401}
            assert await refused_count(http) - before == 3000
            warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
            assert warnings == ["refused a request: no timestamp (401)"]
            now[0] += signing.REFUSAL_LOG_SECONDS
            async with http.post(server.make_url("/slack/events"), data=b"x", headers={"Content-Type": FORM}):
                pass
            warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
            assert warnings[1:] == ["refused a request: no timestamp (401); 2999 more like it since the last line, "
                                    "not logged"]
    finally:
        await ops.close()


async def test_a_client_that_stalls_after_its_headers_gets_408_and_others_are_served(stack):
    """A body not sent in full within the body-read timeout is answered 408 and the connection is
    closed; meanwhile the server answers everyone else."""
    import asyncio

    fake, app, _settings = stack
    server = TestServer(build_web_app(app, SECRET, body_read_timeout=0.5))
    await server.start_server()
    try:
        reader, writer = await asyncio.open_connection(server.host, server.port)
        writer.write(b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Type: " + FORM.encode()
                     + b"\r\nContent-Length: 1000\r\n\r\ncommand=%2Fjirei")  # then nothing more
        await writer.drain()
        driver = SlackDriver(fake, dispatch_over_http(str(server.make_url("/slack/events"))), SECRET)
        reply = await driver.command("UCOORD01", "help")
        assert reply.status == 200 and reply.answer
        # A generous bound that only stops a hung test: the 408 itself comes after half a second.
        status_line = await asyncio.wait_for(reader.readline(), timeout=30)
        assert status_line.startswith(b"HTTP/1.1 408"), status_line
        headers = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=30)
        assert b"Connection: close" in headers
        writer.close()
        reply = await driver.command("UCOORD01", "help")
        assert reply.status == 200 and reply.answer
    finally:
        await server.close()
