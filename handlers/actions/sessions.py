"""Join / leave buttons and the facilitator's check-in. The session code is the only value read
from the button; who clicked comes from the payload."""

from __future__ import annotations

from bot import ids
from bot.core import grammar
from bot.kit import mention, section
from bot.sessions.blocks import attended_text, build_join_result, build_roster
from bot.core.i18n import t
from bot.sessions import service as sessions
from bot.core.refusal import Refusal
from handlers.commands.jirei import CommandRequest
from handlers.commands.sessions import new_session
from handlers.context import NOT_DONE, actor_of, answer, button_value, deps_of, message, session_button


async def _say(body, respond, client, user_id: str, text: str) -> None:
    await answer(body, respond, client, user_id, text=text)


async def _answer_with(body, context, respond, client, act) -> None:
    deps = deps_of(context)
    blocks = await session_button(deps, body, context, respond, client, act)
    if blocks is NOT_DONE:
        return
    deps.wake_dispatcher()
    await answer(body, respond, client, actor_of(context).user_id, **message(blocks, blocks[0]["text"]["text"]))


async def join_button(ack, body, action, context, respond, client):
    await ack()
    elsewhere_ok = action.get("action_id") == ids.SESSION_JOIN_ELSEWHERE

    async def join(uow, now, actor, code):
        result = await sessions.join(uow, now, actor, code, elsewhere_ok=elsewhere_ok)
        return build_join_result(result.outcome, result.session, actor.lang, result.position, result.status,
                                 home_bureau=result.home_bureau)

    await _answer_with(body, context, respond, client, join)


async def create_duplicate(ack, body, context, respond, client):
    """The duplicate warning's button: the same command, with duplicate=ok (every check runs again)."""
    await ack()
    deps, actor = deps_of(context), actor_of(context)
    try:
        cmd = grammar.parse(button_value(body, 2000), deps.tz)
    except grammar.CommandError:
        cmd = None
    if not isinstance(cmd, grammar.SessionNew) or not cmd.allow_duplicate:
        await _say(body, respond, client, actor.user_id, t("sessions.error.bad_button", actor.lang))
        return
    request = CommandRequest(deps=deps, actor=actor, body=body, respond=respond, client=client)
    try:
        await new_session(cmd, request)
    except Refusal as err:
        await _say(body, respond, client, actor.user_id, t(err.key, actor.lang, **err.params))


async def _leave(uow, now, actor, code):
    result = await sessions.leave(uow, now, actor, code)
    return [section(t("sessions.left", actor.lang, code=result.session.code))]


async def leave_button(ack, body, context, respond, client):
    await ack()
    await _answer_with(body, context, respond, client, _leave)


async def _press_on_sheet(body, context, respond, client, act) -> None:
    """A press on the check-in sheet (value "S1|U123"): record it, then redraw the sheet in place."""
    deps, actor = deps_of(context), actor_of(context)
    code_text, _, user_text = button_value(body, 80).partition("|")
    code, user = grammar.parse_code(code_text, "session"), grammar.parse_user(user_text)
    if code is None or user is None:
        await _say(body, respond, client, actor.user_id, t("sessions.error.bad_button", actor.lang))
        return
    try:
        async with deps.uow() as uow:
            now = deps.clock.now()
            note = await act(uow, now, actor, code, user)
            sheet = await sessions.roster(uow, now, actor, code)
    except Refusal as err:
        await _say(body, respond, client, actor.user_id, t(err.key, actor.lang, **err.params))
        return
    await redraw(body, respond, client, build_roster(sheet, actor.lang, deps.tz),
                 t("sessions.roster_title", actor.lang, code=sheet.session.code))
    if note:
        await _say(body, respond, client, actor.user_id, note)


async def _check_in(uow, now, actor, code, user) -> str | None:
    result = await sessions.attend(uow, now, actor, code, [user])
    # The sheet shows the check-in; words only for what it cannot show.
    return attended_text(result, actor.lang) if result.walk_ins or result.already or result.forgotten else None


async def checkin_button(ack, body, context, respond, client):
    """The facilitator (or staff) checks a participant in; a second press records nothing more."""
    await ack()
    await _press_on_sheet(body, context, respond, client, _check_in)


async def _undo(uow, now, actor, code, user) -> str | None:
    result = await sessions.undo_attend(uow, now, actor, code, user)
    return None if result.undone else t("sessions.checkin_not_checked", actor.lang, code=result.session.code,
                                        user=mention(user))


async def undo_button(ack, body, context, respond, client):
    """取消 on the sheet: a check-in pressed by mistake."""
    await ack()
    await _press_on_sheet(body, context, respond, client, _undo)


async def redraw(body: dict, respond, client, blocks: list[dict], text: str) -> None:
    """Replace the message the button was pressed in: chat.update for a posted message (the sheet
    sent to the DM), the response_url for an ephemeral one (`/jirei admin roster`)."""
    container = body.get("container") or {}
    if container.get("is_ephemeral") or not container.get("message_ts"):
        await respond(replace_original=True, text=text, blocks=blocks)
        return
    await client.chat_update(channel=container["channel_id"], ts=container["message_ts"], text=text, blocks=blocks)
