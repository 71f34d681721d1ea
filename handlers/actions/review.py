"""Buttons on the Home tab: bureau staff's roster, and a participant's 読みました. Only the
session code is read from a button; who pressed it comes from the payload, and the service decides
whether they may. A Home tab has no response_url, so answers go to the person's DM or to the
republished tab itself."""

from __future__ import annotations

from bot.sessions.blocks import build_roster
from bot.core.i18n import t
from bot.materials import service as materials
from bot.sessions import service as sessions
from handlers.context import NOT_DONE, actor_of, deps_of, message, session_button
from handlers.home import refresh_home


async def roster_button(ack, body, context, client, respond):
    deps = deps_of(context)
    await ack()
    result = await session_button(deps, body, context, respond, client, sessions.roster)
    if result is NOT_DONE:
        return
    actor = actor_of(context)
    await client.chat_postMessage(channel=actor.user_id, **message(
        build_roster(result, actor.lang, deps.tz), t("sessions.roster_title", actor.lang, code=result.session.code)))


async def material_read_button(ack, body, context, client, respond):
    deps = deps_of(context)
    await ack()
    if await session_button(deps, body, context, respond, client, materials.mark_read) is NOT_DONE:
        return
    actor = actor_of(context)
    # The tab is the answer: the material leaves the "to read" list.
    await refresh_home(deps, client, actor.user_id)
