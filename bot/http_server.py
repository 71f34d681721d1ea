"""HTTP mode: POST /slack/events (Bolt), GET /healthz, GET /metrics."""

from __future__ import annotations

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

from bot import metrics

MAX_BODY = 1024 * 1024  # Slack's payloads are far smaller; anything bigger is not Slack


def build_web_app(app: AsyncApp, *, path: str = "/slack/events") -> web.Application:
    web_app = web.Application(client_max_size=MAX_BODY)

    async def slack_events(request: web.Request) -> web.Response:
        bolt_request = await to_bolt_request(request)
        bolt_response = await app.async_dispatch(bolt_request)
        return await to_aiohttp_response(bolt_response)

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def metrics_endpoint(_request: web.Request) -> web.Response:
        body, content_type = metrics.render()
        return web.Response(body=body, headers={"Content-Type": content_type})

    web_app.router.add_post(path, slack_events)
    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/metrics", metrics_endpoint)
    return web_app


async def serve(web_app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
