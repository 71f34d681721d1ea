"""The ○ △ × selects (one per slot, in the channel's table and in each member's DM) and the
organiser's 決定 button, which opens the close form. The select's value (poll, slot, answer) is all that is read from it; whether the presser
may answer or close is decided by the service."""

from __future__ import annotations

from bot.core.i18n import t
from bot.core.refusal import Refusal
from bot.polls import service as polls
from bot.polls.blocks import build_close_modal, parse_answer_value
from handlers.context import actor_of, answer, deps_of


async def answer_in_channel(ack, body, context, respond, client):
    await ack()
    await _answer_slot(body, context, respond, client, "channel")


async def answer_in_dm(ack, body, context, respond, client):
    await ack()
    await _answer_slot(body, context, respond, client, "dm")


async def open_close_form(ack, body, context, respond, client):
    deps = deps_of(context)
    await ack()
    actor = actor_of(context)
    value = str((body.get("actions") or [{}])[0].get("value", ""))[:12]
    if not value.isdigit():
        await answer(body, respond, client, actor.user_id, text=t("sessions.error.bad_button", actor.lang))
        return
    try:
        async with deps.uow() as uow:
            table = await polls.check_may_close(uow, deps.clock.now(), actor, int(value))
    except Refusal as err:
        await answer(body, respond, client, actor.user_id, text=t(err.key, actor.lang, **err.params))
        return
    await client.views_open(trigger_id=body["trigger_id"], view=build_close_modal(table, actor.lang, deps.tz))


async def _answer_slot(body, context, respond, client, source: str) -> None:
    deps, actor = deps_of(context), actor_of(context)
    action = (body.get("actions") or [{}])[0]
    parsed = parse_answer_value(str((action.get("selected_option") or {}).get("value", ""))[:40])
    if parsed is None:
        await answer(body, respond, client, actor.user_id, text=t("sessions.error.bad_button", actor.lang))
        return
    poll_id, slot_id, choice = parsed
    try:
        async with deps.uow() as uow:
            await polls.answer(uow, deps.clock.now(), actor, poll_id, slot_id, choice, source=source)
    except Refusal as err:
        await answer(body, respond, client, actor.user_id, text=t(err.key, actor.lang, **err.params))
        return
    deps.wake_dispatcher()
