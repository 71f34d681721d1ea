"""The new-session form: the same checks as the command, errors back on the field concerned."""

from __future__ import annotations

from datetime import datetime, timezone

from bot import ids
from bot.core.i18n import t
from bot.sessions import service as sessions
from bot.core.refusal import Refusal
from bot.core.session_spec import SessionSpec
from handlers.context import actor_of, deps_of, refuse_in_form

def read_form(state: dict) -> dict:
    values = state.get("values", {})

    def raw(name: str) -> dict:
        block_id, action_id = ids.SESSION_FIELD_BLOCKS[name]
        return values.get(block_id, {}).get(action_id) or {}

    def moment(name: str) -> datetime | None:
        stamp = raw(name).get("selected_date_time")
        return datetime.fromtimestamp(int(stamp), timezone.utc) if stamp is not None else None

    def integer(name: str) -> int | None:
        try:
            return int(str(raw(name).get("value", "")).strip())
        except ValueError:
            return None

    return {
        "case": (raw("case").get("selected_option") or {}).get("value"),
        "bureau": (raw("bureau").get("selected_option") or {}).get("value"),
        "start": moment("start"), "deadline": moment("deadline"), "release": moment("release"),
        "minutes": integer("minutes"), "capacity": integer("capacity"), "min": integer("min"),
        "format": (raw("format").get("selected_option") or {}).get("value") or "hybrid",
        "facilitator": raw("facilitator").get("selected_user"),
        "url": (raw("url").get("value") or "").strip() or None,
        "lottery": bool(raw("lottery").get("selected_options")),
    }


async def submit_session(ack, body, context, client):
    deps = deps_of(context)
    actor = actor_of(context)
    form = read_form(body["view"].get("state", {}))
    missing = [name for name in ("case", "bureau", "start", "deadline", "release", "minutes", "capacity", "min")
               if form[name] is None]
    if missing:
        block_id = ids.SESSION_FIELD_BLOCKS[missing[0]][0]
        await ack(response_action="errors", errors={block_id: t("sessions.modal.required", actor.lang)})
        return
    try:
        spec = SessionSpec(case=form["case"], bureau=form["bureau"], start=form["start"], minutes=form["minutes"],
                           capacity=form["capacity"], min_participants=form["min"], deadline=form["deadline"],
                           release=form["release"], format=form["format"],
                           facilitator=form["facilitator"], url=form["url"], lottery=form["lottery"])
        async with deps.uow() as uow:
            item = await sessions.create_session(uow, deps.clock.now(), actor, spec, allow_duplicate=False)
    except Refusal as err:
        # Shown under the field it is about (a SpecError names it).
        field = getattr(err, "field", None)
        field = field if field in ids.SESSION_FIELD_BLOCKS else "case"
        await refuse_in_form(ack, ids.SESSION_FIELD_BLOCKS[field][0], err, actor.lang)
        return
    await ack()
    await client.chat_postMessage(channel=actor.user_id, text=t("sessions.session_created", actor.lang, code=item.code))
