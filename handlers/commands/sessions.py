"""sessions, join, leave, my, and the admin session commands."""

from __future__ import annotations

from bot.core import grammar
from bot.kit import section
from bot.sessions.blocks import (MAX_LISTED, attended_text, build_duplicate_warning, build_join_result,
                                 build_my_list, build_roster, build_sessions_list, changed_names)
from bot.core.i18n import t
from bot.sessions import service as sessions
from bot.sessions.cases import create_case
from handlers.commands.request import CommandRequest
from bot.sessions.blocks import build_session_modal
from config.reference import bureaus
from bot.delivery.progress import attach_progress_message


async def list_sessions(cmd: grammar.SessionsList, request: CommandRequest) -> None:
    async with request.deps.uow(read_only=True) as uow:
        page = await sessions.open_sessions(uow, request.actor, limit=MAX_LISTED)
    await request.reply(build_sessions_list(page, request.lang, request.deps.tz), t("sessions.list_title", request.lang))


async def my_sessions(cmd: grammar.Mine, request: CommandRequest) -> None:
    async with request.deps.uow(read_only=True) as uow:
        summaries = await sessions.my_registrations(uow, request.actor)
    await request.reply(build_my_list(summaries, request.lang, request.deps.tz), t("sessions.my_title", request.lang))


async def join(cmd: grammar.Join, request: CommandRequest) -> None:
    async with request.deps.uow() as uow:
        result = await sessions.join(uow, request.deps.clock.now(), request.actor, cmd.code,
                                     elsewhere_ok=cmd.elsewhere_ok)
    request.deps.wake_dispatcher()
    blocks = build_join_result(result.outcome, result.session, request.lang, result.position, result.status,
                               home_bureau=result.home_bureau)
    await request.reply(blocks, blocks[0]["text"]["text"])


async def leave(cmd: grammar.Leave, request: CommandRequest) -> None:
    async with request.deps.uow() as uow:
        result = await sessions.leave(uow, request.deps.clock.now(), request.actor, cmd.code)
    request.deps.wake_dispatcher()
    await request.reply_text("sessions.left", code=result.session.code)


async def new_case(cmd: grammar.CaseNew, request: CommandRequest) -> None:
    await sessions.check_summary(cmd.summary, request.lang)
    async with request.deps.uow() as uow:
        case = await create_case(uow, request.deps.clock.now(), request.actor, title=cmd.title,
                                          theme=cmd.theme, lecturer=cmd.lecturer, summary=cmd.summary)
    await request.reply_text("sessions.case_created", code=case.code)


async def new_session(cmd: grammar.SessionNew, request: CommandRequest) -> None:
    try:
        async with request.deps.uow() as uow:
            item = await sessions.create_session(uow, request.deps.clock.now(), request.actor, cmd.spec,
                                                 allow_duplicate=cmd.allow_duplicate)
    except sessions.DuplicateSession as warning:
        text = str(request.body.get("text", ""))
        await request.reply(build_duplicate_warning(warning.existing, text, request.lang),
                            t(warning.key, request.lang, **warning.params))
        return
    await request.reply_text("sessions.session_created", code=item.code)


async def edit_session(cmd: grammar.SessionEdit, request: CommandRequest) -> None:
    async with request.deps.uow() as uow:
        result = await sessions.edit_session(uow, request.deps.clock.now(), request.actor, cmd.code, cmd.changes)
    request.deps.wake_dispatcher()
    if not result.changed:
        await request.reply_text("sessions.edit_nothing", code=result.session.code)
        return
    await request.reply_text("sessions.edited", code=result.session.code, count=result.told,
                             what=changed_names(result.changed, request.lang))


async def cancel_session(cmd: grammar.SessionCancel, request: CommandRequest) -> None:
    deps = request.deps
    async with deps.uow() as uow:
        result = await sessions.cancel_session(uow, deps.clock.now(), request.actor, cmd.code, cmd.reason,
                                               deps.settings.admin_ids)
    deps.wake_dispatcher()
    await request.reply_text("sessions.cancelled_done", code=result.session.code, count=result.told)


async def edit_case(cmd: grammar.CaseEdit, request: CommandRequest) -> None:
    await sessions.check_summary(cmd.changes.get("summary"), request.lang)
    async with request.deps.uow() as uow:
        case = await sessions.edit_case(uow, request.deps.clock.now(), request.actor, cmd.code, cmd.changes)
    request.deps.wake_dispatcher()
    await request.reply_text("sessions.case_edited", code=case.code)


async def new_session_form(cmd: grammar.SessionNewForm, request: CommandRequest) -> None:
    from datetime import timedelta


    actor, now = request.actor, request.deps.clock.now()
    async with request.deps.uow() as uow:
        cases = await uow.cases.official()
    if not cases:
        await request.reply_text("sessions.modal.no_cases")
        return
    lang = request.lang
    case_choices = [(c.code, f"{c.code} {c.title}") for c in cases][-100:]
    bureau_choices = [(b.code, b.name(lang)) for b in bureaus() if actor.can_manage_bureau(b.code)]
    start = (now + timedelta(days=45)).replace(minute=0, second=0, microsecond=0)
    defaults = {"start": int(start.timestamp()), "deadline": int((start - timedelta(days=14)).timestamp()),
                "release": int((start - timedelta(days=7)).timestamp())}
    await request.client.views_open(trigger_id=request.body["trigger_id"],
                                    view=build_session_modal(case_choices, bureau_choices, lang, defaults))


async def announce(cmd: grammar.Announce, request: CommandRequest) -> None:
    async with request.deps.uow() as uow:
        result = await sessions.announce(uow, request.deps.clock.now(), request.actor, cmd.code,
                                         request.deps.settings.announce_channel)
    if not result.invited and result.again:
        # Everyone was invited before: say so; no fan-out, so no progress message either.
        await request.reply_text("sessions.announced_nobody", code=result.session.code)
        request.deps.wake_dispatcher()
        return
    key = "sessions.announced_again" if result.again else "sessions.announced"
    text = t(key, request.lang, code=result.session.code, count=result.invited)
    await request.reply([section(text)], text)

    await attach_progress_message(request.deps, result.batch_id, request.actor.user_id, request.lang)
    request.deps.wake_dispatcher()


async def roster(cmd: grammar.Roster, request: CommandRequest) -> None:
    async with request.deps.uow() as uow:
        result = await sessions.roster(uow, request.deps.clock.now(), request.actor, cmd.code)
    await request.reply(build_roster(result, request.lang, request.deps.tz),
                        t("sessions.roster_title", request.lang, code=cmd.code))


async def attend(cmd: grammar.Attend, request: CommandRequest) -> None:
    async with request.deps.uow() as uow:
        result = await sessions.attend(uow, request.deps.clock.now(), request.actor, cmd.code, list(cmd.users))
    text = attended_text(result, request.lang)
    await request.reply([section(text)], text)


async def message_registrants(cmd: grammar.SessionMessage, request: CommandRequest) -> None:
    async with request.deps.uow() as uow:
        result = await sessions.message_registrants(uow, request.deps.clock.now(), request.actor, cmd.code, cmd.text)
    request.deps.wake_dispatcher()
    if not result.sent:
        await request.reply_text("sessions.message_nobody", code=result.session.code)
        return
    await request.reply_text("sessions.message_sent", code=result.session.code, count=result.sent)
