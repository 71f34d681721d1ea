"""Events: the Home tab, and direct messages to the bot."""

from __future__ import annotations

from bot.core.i18n import t
from bot.core.text import normalise
from handlers.context import actor_of, deps_of, wiring_of
from handlers.home import refresh_home


async def home_opened(event, client, context):
    deps = deps_of(context)
    if event.get("tab") != "home":
        return
    await refresh_home(deps, client, event["user"])


async def in_direct_message(event) -> bool:
    return event.get("channel_type") == "im"


async def direct_message(event, client, context):
    """Features (the survey dialog) may claim a DM first, in the order bot/features.py lists them; they
    return True when they did. Only DMs: messages in private channels go to the personal-data guard
    (handlers/events/checks.py)."""
    if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
        return
    deps, actor = deps_of(context), actor_of(context)
    for handler in wiring_of(context).dm_handlers:
        if await handler(deps, actor, event, client):
            return
    text = normalise(str(event.get("text") or "")).strip()
    # `／jirei my` typed as a message: a command only when it starts the message box, in ASCII.
    key = "dm.command_hint" if text.lower().startswith("/jirei") else "dm.hint"
    await client.chat_postMessage(channel=event["channel"], text=t(key, actor.lang))
