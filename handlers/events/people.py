"""Events: the Home tab, and direct messages to the bot."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.deps import Deps
from bot.i18n import t
from bot.text import normalise
from handlers.context import actor_of
from handlers.home import refresh_home

# Other features (the survey dialog) may claim a DM first; they return True when they did.
DM_HANDLERS: list = []


def register(app: AsyncApp, deps: Deps) -> None:
    @app.event("app_home_opened")
    async def home_opened(event, client, context):
        if event.get("tab") != "home":
            return
        await refresh_home(deps, client, event["user"])

    async def in_direct_message(event) -> bool:
        return event.get("channel_type") == "im"

    # Only DMs: messages in private channels go to the personal-data guard (handlers/events/checks.py).
    @app.event("message", matchers=[in_direct_message])
    async def direct_message(event, client, context, say):
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return
        actor = actor_of(context)
        for handler in DM_HANDLERS:
            if await handler(deps, actor, event, client):
                return
        text = normalise(str(event.get("text") or "")).strip()
        # `／jirei my` typed as a message: a command only when it starts the message box, in ASCII.
        key = "dm.command_hint" if text.lower().startswith("/jirei") else "dm.hint"
        await client.chat_postMessage(channel=event["channel"], text=t(key, actor.lang))
