"""Buttons on the Home tab: bureau staff's roster, and a participant's 読みました. Only the
session code is read from a button; who pressed it comes from the payload, and the service decides
whether they may. A Home tab has no response_url, so answers go to the person's DM or to the
republished tab itself."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot import grammar, ids
from bot.blocks.sessions import build_roster
from bot.deps import Deps
from bot.i18n import t
from bot.services import materials, sessions
from bot.services.sessions import SessionError
from handlers.context import actor_of, message
from handlers.home import refresh_home


def _session_code(body: dict) -> str | None:
    value = str((body.get("actions") or [{}])[0].get("value", ""))[:20]
    return grammar.parse_code(value, "session")


def register(app: AsyncApp, deps: Deps) -> None:
    @app.action(ids.SESSION_ROSTER)
    async def roster_button(ack, body, context, client):
        await ack()
        actor = actor_of(context)
        code = _session_code(body)
        if code is None:
            await client.chat_postMessage(channel=actor.user_id, text=t("sessions.error.bad_button", actor.lang))
            return
        try:
            async with deps.uow() as uow:
                result = await sessions.roster(uow, deps.clock.now(), actor, code)
        except SessionError as err:
            await client.chat_postMessage(channel=actor.user_id, text=t(err.key, actor.lang, **err.params))
            return
        await client.chat_postMessage(channel=actor.user_id, **message(
            build_roster(result, actor.lang, deps.tz), t("sessions.roster_title", actor.lang, code=code)))

    @app.action(ids.HOME_MATERIAL_READ)
    async def material_read_button(ack, body, context, client):
        await ack()
        actor = actor_of(context)
        code = _session_code(body)
        if code is None:
            await client.chat_postMessage(channel=actor.user_id, text=t("sessions.error.bad_button", actor.lang))
            return
        try:
            async with deps.uow() as uow:
                await materials.mark_read(uow, deps.clock.now(), actor, code)
        except SessionError as err:
            await client.chat_postMessage(channel=actor.user_id, text=t(err.key, actor.lang, **err.params))
            return
        # The tab is the answer: the material leaves the "to read" list.
        await refresh_home(deps, client, actor.user_id)
