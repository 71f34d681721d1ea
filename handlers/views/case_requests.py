"""The request form's submission (field errors go back into the form), the lecturer's reason for
declining, and the secretariat's note when it returns a material."""

from __future__ import annotations

import re
from datetime import date

from bot import ids
from bot.core.i18n import t
from bot.core.refusal import Refusal
from bot.requests import service as requests
from handlers.context import actor_of, deps_of

_REVIEW = re.compile(r"(Q[1-9][0-9]{0,8}):M([1-9][0-9]{0,8})")


def read_request_values(values: dict) -> dict:
    def element(name: str) -> dict:
        block_id, action_id = ids.REQUEST_FIELD_BLOCKS[name]
        return values.get(block_id, {}).get(action_id) or {}

    try:
        due = date.fromisoformat(str(element("due").get("selected_date") or ""))
    except ValueError:
        due = None
    return {"theme": str((element("theme").get("selected_option") or {}).get("value", "")),
            "title": str(element("title").get("value") or ""),
            "lecturer": str(element("lecturer").get("selected_user") or ""),
            "due_on": due,
            "note": str(element("note").get("value") or "")}


def _text(values: dict, block_id: str, action_id: str) -> str:
    return str((values.get(block_id, {}).get(action_id) or {}).get("value") or "")


async def submit_request(ack, body, context, client):
    deps = deps_of(context)
    actor = actor_of(context)
    try:
        async with deps.uow() as uow:
            request = await requests.create_request(uow, deps.clock.now(), deps.tz, actor,
                                                    **read_request_values(body["view"]["state"]["values"]))
    except Refusal as err:
        name = getattr(err, "field", "theme")
        await ack(response_action="errors",
                  errors={ids.REQUEST_FIELD_BLOCKS[name][0]: t(err.key, actor.lang, **err.params)[:150]})
        return
    await ack()
    deps.wake_dispatcher()
    await client.chat_postMessage(channel=actor.user_id, text=t("requests.sent", actor.lang, code=request.code))


async def submit_decline(ack, body, context, client):
    deps = deps_of(context)
    actor = actor_of(context)
    view = body["view"]
    reason = _text(view["state"]["values"], ids.REQUEST_REASON_BLOCK, ids.REQUEST_REASON_INPUT)
    try:
        async with deps.uow() as uow:
            request = await requests.answer_request(uow, deps.clock.now(), deps.tz, actor,
                                                    str(view.get("private_metadata") or "")[:12], accept=False,
                                                    reason=reason, secretariat=deps.settings.admin_ids)
    except requests.RequestFieldError as err:
        await ack(response_action="errors", errors={ids.REQUEST_REASON_BLOCK: t(err.key, actor.lang, **err.params)})
        return
    except Refusal as err:
        await ack()
        await client.chat_postMessage(channel=actor.user_id, text=t(err.key, actor.lang, **err.params))
        return
    await ack()
    deps.wake_dispatcher()
    await client.chat_postMessage(channel=actor.user_id, text=t("requests.declined", actor.lang, code=request.code))


async def submit_return(ack, body, context, client):
    deps = deps_of(context)
    actor = actor_of(context)
    view = body["view"]
    note = _text(view["state"]["values"], ids.REQUEST_RETURN_BLOCK, ids.REQUEST_RETURN_INPUT)
    match = _REVIEW.fullmatch(str(view.get("private_metadata") or "")[:30])
    try:
        if match is None:
            raise Refusal("sessions.error.bad_button")
        async with deps.uow() as uow:
            request = await requests.review_material(uow, deps.clock.now(), actor, match.group(1),
                                                     int(match.group(2)), approve=False, note=note)
    except requests.RequestFieldError as err:
        await ack(response_action="errors", errors={ids.REQUEST_RETURN_BLOCK: t(err.key, actor.lang, **err.params)})
        return
    except Refusal as err:
        await ack()
        await client.chat_postMessage(channel=actor.user_id, text=t(err.key, actor.lang, **err.params))
        return
    await ack()
    deps.wake_dispatcher()
    await client.chat_postMessage(channel=actor.user_id, text=t("requests.returned", actor.lang, code=request.code))
