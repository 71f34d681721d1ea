"""respond() over one kept-alive HTTP session.

Bolt's respond() opens a new connection (and a new aiohttp session) for every answer sent to a
response_url; under load that set-up is a good part of what a command costs. PooledRespond is the
same call over the process's one session (Deps.http), so answers reuse connections.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable

from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.context.respond.internals import _build_message
from slack_sdk.webhook.async_client import AsyncWebhookClient, WebhookResponse

from bot.deps import Deps


class PooledRespond(AsyncRespond):
    def __init__(self, *, response_url: str, client: AsyncWebhookClient) -> None:
        super().__init__(response_url=response_url)
        self._client = client

    async def __call__(self, text: str | dict = "", blocks=None, **fields: Any) -> WebhookResponse:  # noqa: ANN001
        message = _build_message(**text) if isinstance(text, dict) else _build_message(text=text, blocks=blocks,
                                                                                      **fields)
        return await self._client.send_dict(message)


def install_pooled_respond(app, deps: Deps) -> None:
    @app.middleware
    async def pooled_respond(context: AsyncBoltContext, next: Callable[[], Awaitable[None]]):
        if context.response_url:
            client = AsyncWebhookClient(url=context.response_url, session=deps.http())
            context["respond"] = PooledRespond(response_url=context.response_url, client=client)
        return await next()
