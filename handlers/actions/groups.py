"""The nudge's buttons: accept, not now, stop. The nudge number is the only value read from the
button; whether it is the presser's own nudge is checked against the payload's user."""

from __future__ import annotations

import re

from bot.study_groups.blocks import build_nudge_answered
from bot.core.i18n import t
from bot.study_groups import service as study_groups
from bot.core.refusal import Refusal
from handlers.context import actor_of, deps_of, message

def _nudge_id(body: dict) -> int | None:
    value = str((body.get("actions") or [{}])[0].get("value", ""))[:20]
    match = re.fullmatch(r"N([1-9][0-9]{0,9})", value)
    return int(match.group(1)) if match else None


async def _answer(ack, body, context, respond, choice: str) -> None:
    deps = deps_of(context)
    await ack()
    actor = actor_of(context)
    nudge_id = _nudge_id(body)
    if nudge_id is None:
        await respond(response_type="ephemeral", replace_original=False,
                      text=t("sessions.error.bad_button", actor.lang))
        return
    try:
        async with deps.uow() as uow:
            result = await study_groups.answer_nudge(uow, deps.clock.now(), actor, nudge_id, choice)
    except Refusal as err:
        await respond(response_type="ephemeral", replace_original=False, text=t(err.key, actor.lang, **err.params))
        return
    deps.wake_dispatcher()  # the space job opens the group's channel within its minute
    blocks = build_nudge_answered(result.outcome, actor.lang, code=result.group_code, accepted=result.accepted,
                                  needed=result.needed)
    await respond(replace_original=True, **message(blocks, blocks[0]["text"]["text"]))


async def accept_nudge(ack, body, context, respond):
    await _answer(ack, body, context, respond, "accept")


async def nudge_later(ack, body, context, respond):
    await _answer(ack, body, context, respond, "later")


async def stop_nudges(ack, body, context, respond):
    await _answer(ack, body, context, respond, "stop")
