"""`/jirei check`: anyone opens the personal-data check."""

from __future__ import annotations

from bot import grammar
from bot.blocks.checks import build_check_modal
from handlers.commands.jirei import CommandRequest, command_handler


@command_handler(grammar.Check)
async def open_check(cmd: grammar.Check, request: CommandRequest) -> None:
    await request.client.views_open(trigger_id=request.body["trigger_id"], view=build_check_modal(request.lang))
