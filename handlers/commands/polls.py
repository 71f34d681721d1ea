"""`/jirei poll`: the date-poll form, for one of the person's study groups (the one whose channel
the command was typed in, when it is one)."""

from __future__ import annotations

from bot.core import grammar
from bot.polls import service as polls
from bot.polls.blocks import build_poll_modal
from handlers.commands.request import CommandRequest


async def open_poll_form(cmd: grammar.PollOpen, request: CommandRequest) -> None:
    async with request.deps.uow() as uow:
        groups = await polls.check_may_poll(uow, request.actor)
    here = str(request.body.get("channel_id") or "")
    chosen = next((g for g in groups if g.channel_id == here), None)
    view = build_poll_modal(request.lang, request.deps.clock.now(), groups, chosen)
    await request.client.views_open(trigger_id=request.body["trigger_id"], view=view)
