"""The date-poll forms: creating a poll (field errors beside the field, nothing typed lost) and the
organiser's decision (a self-run session or a plain reminder; what cannot be done is said beside
its field before anything is done)."""

from __future__ import annotations

from datetime import datetime, timezone

from bot import ids
from bot.core.i18n import t
from bot.core.refusal import Refusal
from bot.polls import service as polls
from bot.polls.blocks import build_created, slot_block
from handlers.context import actor_of, deps_of, message, refuse_in_dm, refuse_in_form
from handlers.views.groups import tell_proposed


def _field(values: dict, block: str, action: str) -> dict:
    return values.get(block, {}).get(action, {}) or {}


def _moment(stamp) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(stamp), tz=timezone.utc) if stamp not in (None, "") else None
    except (TypeError, ValueError, OverflowError):
        return None


def parse_form(values: dict) -> polls.PollForm:
    """The modal's state as typed (nothing validated yet)."""
    group = _field(values, ids.POLL_GROUP_BLOCK, ids.POLL_GROUP_INPUT).get("selected_option") or {}
    slots = tuple(_moment(_field(values, slot_block(n), ids.POLL_SLOT_INPUT).get("selected_date_time"))
                  for n in range(1, polls.MAX_SLOTS + 1))
    return polls.PollForm(
        title=str(_field(values, ids.POLL_TITLE_BLOCK, ids.POLL_TITLE_INPUT).get("value") or ""),
        group_code=str(group.get("value") or "")[:12],
        slots=slots,
        note=str(_field(values, ids.POLL_NOTE_BLOCK, ids.POLL_NOTE_INPUT).get("value") or ""),
    )


def field_block(field_name: str) -> str:
    if field_name.startswith("slot:"):
        return slot_block(int(field_name.split(":", 1)[1]))
    return {"title": ids.POLL_TITLE_BLOCK, "group": ids.POLL_GROUP_BLOCK, "note": ids.POLL_NOTE_BLOCK}[field_name]


CLOSE_FIELDS = {"slot": ids.POLL_CLOSE_SLOT_BLOCK, "outcome": ids.POLL_CLOSE_OUTCOME_BLOCK}


async def submit_poll(ack, body, context, client):
    deps = deps_of(context)
    actor = actor_of(context)
    now = deps.clock.now()
    try:
        draft = polls.validate_poll(parse_form(body["view"]["state"]["values"]), now)
    except polls.PollFieldError as err:
        await refuse_in_form(ack, field_block(err.field), err, actor.lang)
        return
    await ack()
    try:
        async with deps.uow() as uow:
            poll = await polls.create_poll(uow, now, deps.tz, actor, draft)
            group = await uow.study_groups.get(poll.group_id)
    except Refusal as err:
        await refuse_in_dm(client, actor, err)
        return
    deps.wake_dispatcher()
    blocks = build_created(poll, group.channel_id, len(draft.starts), actor.lang)
    await client.chat_postMessage(channel=actor.user_id, **message(blocks, blocks[0]["text"]["text"]))


async def submit_close(ack, body, context, client):
    deps = deps_of(context)
    actor = actor_of(context)
    now = deps.clock.now()
    view = body["view"]
    values = view["state"]["values"]
    poll_id = str(view.get("private_metadata") or "")
    slot = str((_field(values, ids.POLL_CLOSE_SLOT_BLOCK, ids.POLL_CLOSE_SLOT_INPUT).get("selected_option")
                or {}).get("value") or "")
    outcome = str((_field(values, ids.POLL_CLOSE_OUTCOME_BLOCK, ids.POLL_CLOSE_OUTCOME_INPUT)
                   .get("selected_option") or {}).get("value") or "")
    if not (poll_id.isdigit() and slot.isdigit()) or len(poll_id) > 12 or len(slot) > 12:
        await ack()
        await client.chat_postMessage(channel=actor.user_id, text=t("polls.error.not_found", actor.lang))
        return
    decide = dict(poll_id=int(poll_id), slot_id=int(slot), outcome=outcome,
                  per_month=deps.settings.proposals_per_month)
    # Checked before the ack (one short read): a slot too soon for a session, or a proposal the
    # organiser may not make, is said beside the field and the form stays open, nothing lost.
    try:
        async with deps.uow() as uow:
            await polls.check_decision(uow, now, deps.tz, actor, **decide)
    except polls.PollFieldError as err:
        await refuse_in_form(ack, CLOSE_FIELDS[err.field], err, actor.lang)
        return
    except Refusal as err:
        await ack()
        await refuse_in_dm(client, actor, err)
        return
    await ack()
    try:
        async with deps.uow() as uow:
            closed = await polls.close_poll(uow, now, deps.tz, actor, **decide)
    except Refusal as err:
        await refuse_in_dm(client, actor, err)
        return
    deps.wake_dispatcher()
    if closed.proposal is not None:  # as /jirei propose does: the session, and how to attach its material
        await tell_proposed(client, deps, actor, closed.proposal, now)

