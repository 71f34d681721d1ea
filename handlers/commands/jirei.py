"""`/jirei`: ack, parse the text into a command, hand it to the handler bot/features.py declares for it
(a feature's `commands`, merged by wire() into one table and read here from the request's context).

Each handler is `async def handle(cmd, request: CommandRequest) -> None` and answers with
`request.reply`. A Refusal a handler lets through (a refusal, with a catalog key) is answered here.
"""

from __future__ import annotations

import logging

from bot.core import grammar
from bot.people.blocks import build_help, build_usage
from bot.core.i18n import t
from bot.kit import context as context_block
from bot.core.refusal import Refusal
from bot.observability import record_command
from handlers.commands.request import CommandRequest
from handlers.context import deps_of, resolve_command_actor, wiring_of

log = logging.getLogger(__name__)


async def show_help(cmd: grammar.Help | grammar.AdminHelp, request: CommandRequest) -> None:
    await request.reply(build_help(request.actor), t("help.title", request.lang))


async def jirei(ack, body, context, respond, client):
    # Ack first, with nothing: no database work stands between Slack and the ack. The answer
    # follows through respond(); answers to other commands run beside it on the same loop.
    deps = deps_of(context)
    await ack()
    actor = await resolve_command_actor(deps, context, body)
    if actor is None:  # the same request sent again: answered already
        return
    try:
        cmd, error = grammar.parse(body.get("text", ""), deps.tz), None
    except grammar.CommandError as err:
        cmd, error = None, err
    request = CommandRequest(deps=deps, actor=actor, body=body, respond=respond, client=client)
    if cmd is None:
        await _usage(error, request, context)
    else:
        await _run(cmd, request, context)


async def _usage(err: grammar.CommandError, request: CommandRequest, context) -> None:
    lang = request.lang
    params = dict(err.params)
    usage_key = params.pop("usage_key", None)
    blocks = build_usage(err.key, lang, **params)
    if usage_key:
        blocks.insert(1, context_block(t(usage_key, lang)))
    record_command(context, "invalid", "usage")
    await request.reply(blocks, t(err.key, lang, **params))


async def _run(cmd: grammar.Command, request: CommandRequest, context) -> None:
    deps, actor = request.deps, request.actor
    if cmd.admin and not (actor.is_staff or (cmd.lecturer_ok and actor.is_lecturer) or cmd.facilitator_ok):
        record_command(context, cmd.name, "refused")
        async with deps.uow() as uow:
            await uow.audit.record(deps.clock.now(), actor.user_id, f"command.{cmd.name}", "refused")
        await request.reply_text("auth.refused")
        return
    handler = wiring_of(context).commands[type(cmd)]
    record_command(context, cmd.name, "ok")
    try:
        await handler(cmd, request)
    except Refusal as err:  # a refusal with its reason (the unit of work was rolled back)
        await request.reply_text(err.key, **err.params)
