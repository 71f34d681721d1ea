"""The personal-data guard: messages in study-group channels (private channels the bot is in)."""

from __future__ import annotations

import asyncio

from bot.checks.blocks import build_guard_note
from bot.core.i18n import t
from bot.checks import service as guard
from handlers.context import actor_of, deps_of


async def in_private_channel(event) -> bool:
    return event.get("channel_type") == "group"


async def guard_message(event, client, context):
    # A person's own new message only: not edits, joins, bot posts or file shares.
    deps = deps_of(context)
    if event.get("subtype") or event.get("bot_id") or not event.get("user"):
        return
    async with deps.uow() as uow:
        if not await guard.is_guarded(uow, str(event.get("channel") or "")):
            return
    actor = actor_of(context)
    today = deps.clock.now().astimezone(deps.tz).date()
    note = await asyncio.to_thread(guard.check_message, str(event.get("text") or ""), today, actor.lang)
    if note is None:
        return
    link = await client.chat_getPermalink(channel=event["channel"], message_ts=event["ts"])
    await client.chat_postEphemeral(
        channel=event["channel"], user=event["user"], text=t("guard.found_fallback", actor.lang),
        blocks=build_guard_note(note.kinds, note.proposal, link.get("permalink"), actor.lang))
