"""`/jirei check`: anyone opens the personal-data check; `/jirei guard on|off` in a study group's channel."""

from __future__ import annotations

from bot.core import grammar
from bot.checks.blocks import build_check_modal
from bot.checks import service as guard
from handlers.commands.request import CommandRequest


async def open_check(cmd: grammar.Check, request: CommandRequest) -> None:
    await request.client.views_open(trigger_id=request.body["trigger_id"], view=build_check_modal(request.lang))


async def set_guard(cmd: grammar.GuardSet, request: CommandRequest) -> None:
    async with request.deps.uow() as uow:
        group = await guard.set_guard(uow, request.deps.clock.now(), request.actor,
                                      str(request.body.get("channel_id") or ""), cmd.on)
    await request.reply_text("guard.on" if cmd.on else "guard.off", code=group.code)
