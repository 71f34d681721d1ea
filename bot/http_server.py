"""The bot's HTTP listeners.

    build_web_app(app, signing_secret)   # HTTP mode, for Slack: POST /slack/events, GET /healthz
    build_ops_app()                      # for operators: GET /metrics, GET /healthz

The operators' listener is bound to JIREI_METRICS_HOST (127.0.0.1 unless changed), so the metrics
are not served to whoever can reach the Slack endpoint.

A request to /slack/events is checked before Bolt parses it: over MAX_BODY it is refused with 413,
a body not sent in full within JIREI_BODY_READ_TIMEOUT_SECONDS with 408 (a client that sends its
headers and then stalls holds nothing for long), unsigned with 401 (bot/signing.py), signed but not
a Slack payload with 400. The request Bolt then gets is marked as checked, so the app's middleware
does not check the signature a second time. Nothing reads the body of a request Slack did not sign, and a refusal is
one log line without the body (at most one a minute for each reason: bot/signing.py). A
connection stalled before its headers are complete is closed after KEEPALIVE_SECONDS, aiohttp's
idle timeout.

The body is read by bot.payloads.parse_body, not by Bolt's parser, which takes a form containing
the letters "payload" anywhere (`/jirei profile set name=payloadman`) for an interaction's.
"""

from __future__ import annotations

import asyncio
from typing import Mapping

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from bot import metrics
from config.settings import Settings
from bot.payloads import parse_body
from bot.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, VERIFIED, Signatures, refuse

# Slack's payloads are far smaller, but a button's payload carries the whole message it sits in
# (up to 50 blocks of 3,000 characters; Japanese text is 9 bytes a character once form-encoded).
MAX_BODY = 1024 * 1024
# aiohttp's own default for a server (its web.run_app); longer than a load balancer's idle timeout.
KEEPALIVE_SECONDS = 75.0


def build_web_app(app: AsyncApp, signing_secret: str, *, path: str = "/slack/events",
                  body_read_timeout: float = 10.0) -> web.Application:
    web_app = web.Application(client_max_size=MAX_BODY)
    signatures = Signatures(signing_secret)

    async def slack_events(request: web.Request) -> web.Response:
        if (request.content_length or 0) > MAX_BODY:
            return _refused("body too large", 413)
        try:
            async with asyncio.timeout(body_read_timeout):
                raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _refused("body too large", 413)
        except TimeoutError:
            response = _refused("body not sent in time", 408)
            response.force_close()
            return response
        problem = signatures.problem(raw, request.headers.get(TIMESTAMP_HEADER), request.headers.get(SIGNATURE_HEADER))
        if problem:
            return _refused(problem, 401)
        bolt_request = _parse(raw, request)
        if bolt_request is None:
            return _refused("signed, but not a Slack payload", 400)
        bolt_request.context[VERIFIED] = True
        return await to_aiohttp_response(await app.async_dispatch(bolt_request))

    web_app.router.add_post(path, slack_events)
    web_app.router.add_get("/healthz", _healthz)
    return web_app


def build_ops_app() -> web.Application:
    web_app = web.Application()
    web_app.router.add_get("/metrics", _metrics)
    web_app.router.add_get("/healthz", _healthz)
    return web_app


def bolt_request(raw: str, *, headers: Mapping[str, str], query: str | None = None) -> AsyncBoltRequest:
    """Bolt's request for the text of an HTTP body, read by bot.payloads.parse_body; Bolt builds
    its context (ids, response_url) from it as it would from its own reading. Raises ValueError (or
    whatever reading ids out of an odd body raises) when the body is not a payload."""
    request = AsyncBoltRequest(body="", query=query, headers=dict(headers))
    body = parse_body(raw, request.content_type)
    if not isinstance(body, dict):
        raise ValueError("the payload is not an object")
    # Bolt's constructor builds the context (ids, response_url) from a body handed over as a dict,
    # which it takes in Socket Mode only: the HTTP request borrows that context.
    context = AsyncBoltRequest(body=body, mode="socket_mode").context
    request.raw_body, request.body, request.context = raw, body, context
    return request


def _parse(raw: bytes, request: web.Request) -> AsyncBoltRequest | None:
    """Bolt's request, or None when the body is not text, not a payload or not an object."""
    try:
        return bolt_request(raw.decode("utf-8"), headers=request.headers, query=request.query_string)
    except (ValueError, TypeError, AttributeError, IndexError, KeyError, RecursionError):
        # Form fields and JSON are parsed and ids read out of them: any of these means not Slack's.
        return None


def _refused(problem: str, status: int) -> web.Response:
    refuse(problem, status)
    return web.json_response({"error": "invalid request"}, status=status)


async def _healthz(_request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


async def _metrics(_request: web.Request) -> web.Response:
    body, content_type = metrics.render()
    return web.Response(body=body, headers={"Content-Type": content_type})


async def start_listeners(settings: Settings, slack_app: AsyncApp | None = None, *, host: str = "0.0.0.0",
                          port: int = 3000) -> list[web.AppRunner]:
    """The operators' listener on JIREI_METRICS_HOST:JIREI_METRICS_PORT and, given an app (HTTP
    mode), Slack's on host:port. Stop them with `runner.cleanup()`."""
    runners = [await serve(build_ops_app(), settings.metrics_host, settings.metrics_port)]
    if slack_app is not None:
        secret = settings.slack_signing_secret.get_secret_value()
        runners.append(await serve(build_web_app(slack_app, secret,
                                                 body_read_timeout=settings.body_read_timeout_seconds), host, port))
    return runners


async def serve(web_app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(web_app, access_log=None, keepalive_timeout=KEEPALIVE_SECONDS)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
