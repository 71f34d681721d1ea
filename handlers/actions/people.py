"""Buttons: open the profile modal, accept the pledge."""

from __future__ import annotations

from bot.people.blocks import build_pledge_accepted, build_profile_modal
from bot.core.i18n import t
from bot.people import service as people
from handlers.context import actor_of, deps_of, message
from handlers.home import refresh_home


async def open_profile(ack, body, context, client):
    deps = deps_of(context)
    await ack()
    actor = actor_of(context)
    async with deps.uow() as uow:
        person = await uow.coordinators.get(actor.user_id)
    await client.views_open(trigger_id=body["trigger_id"], view=build_profile_modal(person, actor.lang))


async def accept_pledge(ack, body, context, client, respond):
    deps = deps_of(context)
    await ack()
    actor = actor_of(context)
    async with deps.uow() as uow:
        person, _ = await people.accept_pledge(uow, deps.clock.now(), actor.user_id)
    blocks = build_pledge_accepted(actor.lang, person.profile_complete)
    if body.get("container", {}).get("type") == "view":
        await refresh_home(deps, client, actor.user_id)
    else:
        await respond(replace_original=False, response_type="ephemeral",
                      **message(blocks, t("pledge.accepted", actor.lang)))
