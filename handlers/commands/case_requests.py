"""`/jirei admin request` (the form asking a lecturer for a case) and `admin request withdraw Q1`."""

from __future__ import annotations

from bot.core import grammar
from bot.requests import service as requests
from bot.requests.blocks import build_request_modal
from handlers.commands.request import CommandRequest


async def open_request_form(cmd: grammar.RequestOpen, request: CommandRequest) -> None:
    deps = request.deps
    async with deps.uow() as uow:
        await requests.check_may_request(uow, deps.clock.now(), request.actor)
    today = deps.clock.now().astimezone(deps.tz).date()
    await request.client.views_open(trigger_id=request.body["trigger_id"], view=build_request_modal(request.lang, today))


async def withdraw_request(cmd: grammar.RequestWithdraw, request: CommandRequest) -> None:
    async with request.deps.uow() as uow:
        withdrawn = await requests.withdraw_request(uow, request.deps.clock.now(), request.actor, cmd.code)
    request.deps.wake_dispatcher()
    await request.reply_text("requests.withdrawn", code=withdrawn.code)
