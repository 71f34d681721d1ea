"""`/jirei`: ack, parse the text into a command, hand it to the handler ROUTES names for it.

Each handler is `async def handle(cmd, request: CommandRequest) -> None` and answers with
`request.reply`. A Refusal a handler lets through (a refusal, with a catalog key) is answered here.
"""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp

from bot.core import grammar
from bot.people.blocks import build_help, build_usage
from bot.deps import Deps
from bot.core.i18n import t
from bot.kit import context as context_block
from bot.core.refusal import Refusal
from bot.observability import record_command
from handlers.commands import (case_requests, checks, groups, library, materials, people, polls, privacy, review,
                               sessions, surveys)
from handlers.commands.request import CommandRequest, Handler
from handlers.context import deps_of, resolve_command_actor

log = logging.getLogger(__name__)


async def show_help(cmd: grammar.Help | grammar.AdminHelp, request: CommandRequest) -> None:
    await request.reply(build_help(request.actor), t("help.title", request.lang))


async def report(cmd: grammar.Report, request: CommandRequest) -> None:
    """`admin report year` is the yearly review, `admin report R1` a survey run's report."""
    if cmd.code == "year":
        await review.year_report(cmd, request)
    else:
        await surveys.report(cmd, request)


# Who answers each command: read here, not found by running.
ROUTES: dict[type[grammar.Command], Handler] = {
    grammar.Help: show_help,
    grammar.AdminHelp: show_help,
    grammar.ProfileOpen: people.open_profile,
    grammar.ProfileSet: people.set_profile,
    grammar.PledgeShow: people.show_pledge,
    grammar.PledgeAccept: people.accept_pledge,
    grammar.RoleGrantCmd: people.grant_role,
    grammar.SessionsList: sessions.list_sessions,
    grammar.Mine: sessions.my_sessions,
    grammar.Join: sessions.join,
    grammar.Leave: sessions.leave,
    grammar.CaseNew: sessions.new_case,
    grammar.SessionNew: sessions.new_session,
    grammar.SessionNewForm: sessions.new_session_form,
    grammar.SessionEdit: sessions.edit_session,
    grammar.SessionCancel: sessions.cancel_session,
    grammar.CaseEdit: sessions.edit_case,
    grammar.Announce: sessions.announce,
    grammar.Roster: sessions.roster,
    grammar.Attend: sessions.attend,
    grammar.SessionMessage: sessions.message_registrants,
    grammar.MaterialAdd: materials.add_material,
    grammar.Publish: materials.publish,
    grammar.SurveyPlanning: surveys.send_planning,
    grammar.SurveySend: surveys.send_post_session,
    grammar.SurveySummary: surveys.summary,
    grammar.SurveyClose: surveys.close,
    grammar.Report: report,
    grammar.Groups: groups.my_groups,
    grammar.Propose: groups.open_propose_modal,
    grammar.NudgeNow: groups.nudge_now,
    grammar.ForgetMe: privacy.forget_me,
    grammar.Check: checks.open_check,
    grammar.GuardSet: checks.set_guard,
    grammar.RequestOpen: case_requests.open_request_form,
    grammar.RequestWithdraw: case_requests.withdraw_request,
    grammar.CasesSearch: library.search_cases,
    grammar.PollOpen: polls.open_poll_form,
}


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


def register(app: AsyncApp, deps: Deps) -> None:
    app.command("/jirei")(jirei)


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
    handler = ROUTES[type(cmd)]
    record_command(context, cmd.name, "ok")
    try:
        await handler(cmd, request)
    except Refusal as err:  # a refusal with its reason (the unit of work was rolled back)
        await request.reply_text(err.key, **err.params)
