"""The bot's HTTP listeners.

    build_web_app(app, signing_secret)   # HTTP mode, for Slack: POST /slack/events, GET /healthz
    build_ops_app()                      # for operators: GET /metrics, GET /healthz

The operators' listener is bound to JIREI_METRICS_HOST (127.0.0.1 unless changed), so the metrics
are not served to whoever can reach the Slack endpoint.

A request to /slack/events is checked before Bolt parses it: over MAX_BODY it is refused with 413,
unsigned with 401 (bot/signing.py), signed but not a Slack payload with 400. Nothing reads the
body of a request Slack did not sign, and a refusal is one log line without the body.
"""

from __future__ import annotations

import time

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from bot import metrics
from config.settings import Settings
from bot.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, refuse, signature_problem

# Slack's payloads are far smaller, but a button's payload carries the whole message it sits in
# (up to 50 blocks of 3,000 characters; Japanese text is 9 bytes a character once form-encoded).
MAX_BODY = 1024 * 1024


def build_web_app(app: AsyncApp, signing_secret: str, *, path: str = "/slack/events") -> web.Application:
    web_app = web.Application(client_max_size=MAX_BODY)

    async def slack_events(request: web.Request) -> web.Response:
        if (request.content_length or 0) > MAX_BODY:
            return _refused("body too large", 413)
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _refused("body too large", 413)
        problem = signature_problem(signing_secret, raw, request.headers.get(TIMESTAMP_HEADER),
                                    request.headers.get(SIGNATURE_HEADER), time.time())
        if problem:
            return _refused(problem, 401)
        bolt_request = _parse(raw, request)
        if bolt_request is None:
            return _refused("signed, but not a Slack payload", 400)
        return await to_aiohttp_response(await app.async_dispatch(bolt_request))

    web_app.router.add_post(path, slack_events)
    web_app.router.add_get("/healthz", _healthz)
    return web_app


def build_ops_app() -> web.Application:
    web_app = web.Application()
    web_app.router.add_get("/metrics", _metrics)
    web_app.router.add_get("/healthz", _healthz)
    return web_app


def _parse(raw: bytes, request: web.Request) -> AsyncBoltRequest | None:
    """Bolt's request, or None when the body is not text, not a payload or not an object."""
    try:
        parsed = AsyncBoltRequest(body=raw.decode("utf-8"), query=request.query_string,
                                  headers=dict(request.headers))
    except (ValueError, TypeError, AttributeError, IndexError, KeyError, RecursionError):
        # Bolt parses form fields and JSON and reads ids out of them: any of these means not Slack's.
        return None
    return parsed if isinstance(parsed.body, dict) else None


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
        runners.append(await serve(build_web_app(slack_app, secret), host, port))
    return runners


async def serve(web_app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
