"""`/jirei`: ack, parse the text into a command, hand it to the feature's handler.

Feature handlers are registered into COMMANDS by command class; each is
`async def handle(cmd, request: CommandRequest) -> None` and answers with `request.reply`.
A SessionError a handler lets through (a refusal, with a catalog key) is answered here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from slack_bolt.async_app import AsyncApp

from bot import grammar
from bot.blocks.people import build_help, build_usage
from bot.deps import Deps
from bot.i18n import t
from bot.services.people import Actor
from bot.services.sessions import SessionError
from bot.observability import command_repeated, record_command
from handlers.context import resolve_actor, message

log = logging.getLogger(__name__)


@dataclass
class CommandRequest:
    deps: Deps
    actor: Actor
    body: dict[str, Any]
    respond: Callable[..., Awaitable[Any]]
    client: Any

    @property
    def lang(self) -> str:
        return self.actor.lang

    async def reply(self, blocks: list[dict], fallback: str) -> None:
        await self.respond(response_type="ephemeral", replace_original=False, **message(blocks, fallback))

    async def reply_text(self, key: str, **params: object) -> None:
        text = t(key, self.lang, **params)
        await self.reply([{"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}], text)


Handler = Callable[[grammar.Command, CommandRequest], Awaitable[None]]
COMMANDS: dict[type[grammar.Command], Handler] = {}


def command_handler(*kinds: type[grammar.Command]):
    def decorate(func: Handler) -> Handler:
        for kind in kinds:
            COMMANDS[kind] = func
        return func
    return decorate


def _route_reports() -> None:
    """`admin report R1` is a survey report, `admin report year` the yearly review: two features."""
    survey_report = COMMANDS.get(grammar.Report)
    if getattr(survey_report, "routes_reports", False):
        return

    async def report(cmd: grammar.Report, request: CommandRequest) -> None:
        if cmd.code == "year":
            try:
                from handlers.commands.review import year_report
            except ImportError:
                year_report = None
            if year_report is not None:
                await year_report(cmd, request)
                return
        elif survey_report is not None:
            await survey_report(cmd, request)
            return
        await request.reply_text("usage.report")

    report.routes_reports = True
    COMMANDS[grammar.Report] = report


def register(app: AsyncApp, deps: Deps) -> None:
    # Importing the feature modules fills COMMANDS.
    from handlers.commands import people  # noqa: F401
    for module in ("sessions", "materials", "surveys", "groups", "review", "privacy", "checks"):
        try:
            __import__(f"handlers.commands.{module}")
        except ModuleNotFoundError as exc:
            if exc.name != f"handlers.commands.{module}":
                raise
    _route_reports()

    @app.command("/jirei")
    async def jirei(ack, body, context, respond, client):
        # Ack first, with nothing: no database work stands between Slack and the ack. The answer
        # follows through respond(); answers to other commands run beside it on the same loop.
        await ack()
        if await command_repeated(deps, body):
            return
        try:
            cmd, error = grammar.parse(body.get("text", ""), deps.tz), None
        except grammar.CommandError as err:
            cmd, error = None, err
        actor = await resolve_actor(deps, context)
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
        blocks.insert(1, {"type": "context", "elements": [{"type": "mrkdwn", "text": t(usage_key, lang)}]})
    record_command(context, "invalid", "usage")
    await request.reply(blocks, t(err.key, lang, **params))


async def _run(cmd: grammar.Command, request: CommandRequest, context) -> None:
    deps, actor, lang = request.deps, request.actor, request.lang
    if isinstance(cmd, grammar.Help) or (isinstance(cmd, grammar.AdminHelp) and actor.is_staff):
        record_command(context, cmd.name, "ok")
        await request.reply(build_help(actor), t("help.title", lang))
        return
    if cmd.admin and not (actor.is_staff or (cmd.lecturer_ok and actor.is_lecturer) or cmd.facilitator_ok):
        record_command(context, cmd.name, "refused")
        async with deps.uow() as uow:
            await uow.audit.record(deps.clock.now(), actor.user_id, f"command.{cmd.name}", "refused")
        await request.reply_text("auth.refused")
        return
    handler = COMMANDS.get(type(cmd))
    if handler is None:
        record_command(context, cmd.name, "usage")
        await request.reply(build_usage("usage.unknown", lang, word=cmd.name), t("usage.more", lang))
        return
    record_command(context, cmd.name, "ok")
    try:
        await handler(cmd, request)
    except SessionError as err:  # a refusal with its reason (the unit of work was rolled back)
        await request.reply_text(err.key, **err.params)
