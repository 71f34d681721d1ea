"""The request form's submission (field errors go back into the form), the lecturer's reason for
declining, and the secretariat's note when it returns a material."""

from __future__ import annotations

import re
from datetime import date

from bot import ids
from bot.core.i18n import t
from bot.core.refusal import Refusal
from bot.deps import Deps
from bot.requests import service as requests
from handlers.context import actor_of, deps_of, refuse_in_dm, refuse_in_form

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
        await refuse_in_form(ack, ids.REQUEST_FIELD_BLOCKS[name][0], err, actor.lang)
        return
    await ack()
    deps.wake_dispatcher()
    await client.chat_postMessage(channel=actor.user_id, text=t("requests.sent", actor.lang, code=request.code))


async def _on_text_form(ack, body, context, client, block_id: str, input_id: str, work, done_key: str) -> None:
    """A form with one text field about a request (a reason, a note): ``work(deps, actor, metadata, text)``
    returns the request it answered. A mistake in the text is said under it and the form stays open;
    another refusal closes the form and is said in the DM."""
    deps = deps_of(context)
    actor = actor_of(context)
    view = body["view"]
    text = _text(view["state"]["values"], block_id, input_id)
    try:
        request = await work(deps, actor, str(view.get("private_metadata") or ""), text)
    except requests.RequestFieldError as err:
        await refuse_in_form(ack, block_id, err, actor.lang)
        return
    except Refusal as err:
        await ack()
        await refuse_in_dm(client, actor, err)
        return
    await ack()
    deps.wake_dispatcher()
    await client.chat_postMessage(channel=actor.user_id, text=t(done_key, actor.lang, code=request.code))


async def _decline(deps: Deps, actor, metadata: str, reason: str):
    async with deps.uow() as uow:
        return await requests.answer_request(uow, deps.clock.now(), deps.tz, actor, metadata[:12], accept=False,
                                             reason=reason, secretariat=deps.settings.admin_ids)


async def submit_decline(ack, body, context, client):
    await _on_text_form(ack, body, context, client, ids.REQUEST_REASON_BLOCK, ids.REQUEST_REASON_INPUT, _decline,
                        "requests.declined")


async def _give_back(deps: Deps, actor, metadata: str, note: str):
    match = _REVIEW.fullmatch(metadata[:30])
    if match is None:
        raise Refusal("sessions.error.bad_button")
    async with deps.uow() as uow:
        return await requests.review_material(uow, deps.clock.now(), actor, match.group(1), int(match.group(2)),
                                              approve=False, note=note)


async def submit_return(ack, body, context, client):
    await _on_text_form(ack, body, context, client, ids.REQUEST_RETURN_BLOCK, ids.REQUEST_RETURN_INPUT, _give_back,
                        "requests.returned")

