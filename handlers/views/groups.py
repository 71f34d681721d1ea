"""The propose modal: field errors shown beside the field; the new self-run session sent as a DM."""

from __future__ import annotations

from datetime import datetime, timezone

from bot import ids
from bot.study_groups.blocks import build_proposed
from bot.deps import Deps
from bot.people.results import Actor
from bot.study_groups import service as study_groups
from bot.study_groups.results import ProposeResult
from bot.core.refusal import Refusal
from handlers.context import actor_of, deps_of, message, refuse_in_dm, refuse_in_form

FIELD_BLOCKS = {
    "title": ids.PROPOSE_TITLE_BLOCK,
    "theme": ids.PROPOSE_THEME_BLOCK,
    "place": ids.PROPOSE_PLACE_BLOCK,
    "start": ids.PROPOSE_START_BLOCK,
    "capacity": ids.PROPOSE_CAPACITY_BLOCK,
    "url": ids.PROPOSE_URL_BLOCK,
}


def parse_form(values: dict) -> study_groups.ProposalForm:
    """The modal's state as typed (nothing validated yet)."""
    def field(block: str, action: str) -> dict:
        return values.get(block, {}).get(action, {}) or {}

    selected = field(ids.PROPOSE_THEME_BLOCK, ids.PROPOSE_THEME_INPUT).get("selected_option") or {}
    stamp = field(ids.PROPOSE_START_BLOCK, ids.PROPOSE_START_INPUT).get("selected_date_time")
    try:
        start = datetime.fromtimestamp(int(stamp), tz=timezone.utc) if stamp not in (None, "") else None
    except (TypeError, ValueError, OverflowError):
        start = None
    return study_groups.ProposalForm(
        title=str(field(ids.PROPOSE_TITLE_BLOCK, ids.PROPOSE_TITLE_INPUT).get("value") or ""),
        theme=str(selected.get("value") or ""),
        place=str(field(ids.PROPOSE_PLACE_BLOCK, ids.PROPOSE_PLACE_INPUT).get("value") or ""),
        start=start,
        capacity=str(field(ids.PROPOSE_CAPACITY_BLOCK, ids.PROPOSE_CAPACITY_INPUT).get("value") or ""),
        url=str(field(ids.PROPOSE_URL_BLOCK, ids.PROPOSE_URL_INPUT).get("value") or ""),
    )


async def submit_proposal(ack, body, context, client):
    deps = deps_of(context)
    actor = actor_of(context)
    now = deps.clock.now()
    try:
        proposal = study_groups.validate_proposal(parse_form(body["view"]["state"]["values"]), now)
    except study_groups.ProposalError as err:
        await refuse_in_form(ack, FIELD_BLOCKS[err.field], err, actor.lang)
        return
    await ack()
    try:
        async with deps.uow() as uow:
            result = await study_groups.propose_session(uow, now, deps.tz, actor, proposal,
                                                        per_month=deps.settings.proposals_per_month)
    except Refusal as err:
        await refuse_in_dm(client, actor, err)
        return
    deps.wake_dispatcher()
    await tell_proposed(client, deps, actor, result, now)


async def tell_proposed(client, deps: Deps, actor: Actor, result: ProposeResult, now: datetime) -> None:
    """The proposer's DM about their new self-run session, and how to attach its material."""
    blocks = build_proposed(result.session, result.case, result.invited,
                            result.group.channel_id if result.group else None, actor.lang, deps.tz, now)
    await client.chat_postMessage(channel=actor.user_id, **message(blocks, blocks[0]["text"]["text"]))
