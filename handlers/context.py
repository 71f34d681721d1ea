"""What every handler needs from a request: the actor, and a way to answer in their language."""

from __future__ import annotations

from typing import Any, Awaitable, Callable

from slack_bolt.context.async_context import AsyncBoltContext

from bot.deps import Deps
from bot.kit import notification_text
from bot.observability import command_repeated
from bot.people.service import load_actor
from bot.people.results import Actor
from bot.core import grammar
from bot.core.i18n import t
from bot.core.refusal import Refusal
from bot.wiring import Wiring


def actor_of(context: AsyncBoltContext) -> Actor:
    actor = context.get("actor")
    return actor if actor is not None else Actor(user_id=context.user_id or "")


def deps_of(context: AsyncBoltContext) -> Deps:
    """The bot's dependencies, put in every request's context by the middleware below."""
    return context["deps"]


def wiring_of(context: AsyncBoltContext) -> Wiring:
    """What bot/features.py declares (the /jirei route table, the features' DM handlers), put in every
    request's context by the middleware below."""
    return context["wiring"]


def message(blocks: list[dict], fallback: str) -> dict[str, Any]:
    """Keyword arguments for ack/respond/chat.postMessage: blocks plus the notification text."""
    return {"blocks": blocks, "text": notification_text(fallback)}


async def refuse_in_form(ack, block_id: str, err: Refusal, lang: str) -> None:
    """Keep the form open, the refusal said under the field it is about (Slack shows 150 characters there)."""
    await ack(response_action="errors", errors={block_id: t(err.key, lang, **err.params)[:150]})


async def refuse_in_dm(client, actor: Actor, err: Refusal) -> None:
    """Say a refusal in the person's DM: the form it came from is closed (or cannot show it)."""
    await client.chat_postMessage(channel=actor.user_id, text=t(err.key, actor.lang, **err.params))


def install_actor_middleware(app, deps: Deps, wiring: Wiring) -> None:
    """Give every request the deps and the wiring, and resolve the person behind it once, from the payload's user id."""

    @app.middleware
    async def load_actor_middleware(body, context: AsyncBoltContext, next: Callable[[], Awaitable[None]]):
        context["deps"] = deps  # handlers read it with deps_of(context)
        context["wiring"] = wiring  # and this with wiring_of(context)
        # A slash command acks before anything else and resolves its actor after the ack.
        is_command = isinstance(body, dict) and "command" in body
        if not is_command:
            await resolve_actor(deps, context)
        return await next()


async def resolve_command_actor(deps: Deps, context: AsyncBoltContext, body: dict) -> Actor | None:
    """A /jirei command's person, read in the unit of work that records the command's once-only
    key (bot/observability.py): one transaction before the answer, not two. None for a command
    handled before (the same signed request sent again): it has been answered already."""
    async with deps.uow() as uow:
        if await command_repeated(uow, deps, body):
            return None
        if context.user_id:
            context["actor"] = await load_actor(uow, deps.admin_ids, context.user_id)
    return actor_of(context)


async def resolve_actor(deps: Deps, context: AsyncBoltContext) -> Actor:
    """The person behind the request, loaded once and kept in the context."""
    actor = context.get("actor")
    if actor is None and context.user_id:
        async with deps.uow(read_only=True) as uow:
            actor = await load_actor(uow, deps.admin_ids, context.user_id)
        context["actor"] = actor
    return actor if actor is not None else Actor(user_id=context.user_id or "")


async def answer(body: dict, respond, client, user_id: str, **msg: Any) -> None:
    """Answer the person who pressed a button, only to them.

    Buttons in messages come with a response_url (an ephemeral reply in place). Buttons on the
    Home tab or in a modal do not, so there the answer goes to the person's DM instead.
    """
    if body.get("response_url") or (body.get("container") or {}).get("type") == "message":
        await respond(response_type="ephemeral", replace_original=False, **msg)
    else:
        await client.chat_postMessage(channel=user_id, **msg)


def button_value(body: dict, limit: int) -> str:
    """The pressed button's value, cut to `limit` characters (the only thing taken from a button)."""
    return str((body.get("actions") or [{}])[0].get("value", ""))[:limit]


async def on_button(body: dict, context: AsyncBoltContext, respond, client, pattern, work) -> None:
    """A button whose value names something (Q1, Q1:M5, M12): ``work(deps, actor, match)`` returns the
    answer's text (None: nothing to say). A value `pattern` does not match, or a refusal, is answered
    instead."""
    actor = actor_of(context)
    match = pattern.fullmatch(button_value(body, 40))
    if match is None:
        text = t("sessions.error.bad_button", actor.lang)
    else:
        try:
            text = await work(deps_of(context), actor, match)
        except Refusal as err:
            text = t(err.key, actor.lang, **err.params)
    if text is not None:
        await answer(body, respond, client, actor.user_id, text=text)


# What session_button returns when it has already answered the presser (a bad code, a refusal).
NOT_DONE = object()


async def session_button(deps: Deps, body: dict, context: AsyncBoltContext, respond, client, act):
    """A button whose value is a session code: read the code (the only value taken from the button),
    run `act(uow, now, actor, code)` in one unit of work and return its result. A bad code or a
    refusal is answered to the presser, and NOT_DONE is returned."""
    actor = actor_of(context)
    code = grammar.parse_code(button_value(body, 20), "session")
    if code is None:
        await answer(body, respond, client, actor.user_id, text=t("sessions.error.bad_button", actor.lang))
        return NOT_DONE
    try:
        async with deps.uow() as uow:
            return await act(uow, deps.clock.now(), actor, code)
    except Refusal as err:
        await answer(body, respond, client, actor.user_id, text=t(err.key, actor.lang, **err.params))
        return NOT_DONE

