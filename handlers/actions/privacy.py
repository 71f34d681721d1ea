"""The forget-me button. Whom to forget comes from the payload's user, never from the button's value."""

from __future__ import annotations

from handlers.commands.privacy import done_text, forget
from handlers.context import actor_of, deps_of


async def confirm_forget_me(ack, context, respond):
    deps = deps_of(context)
    await ack()
    actor = actor_of(context)
    if not actor.user_id:
        return  # not a payload Slack sends: there is nobody to forget
    result = await forget(deps, actor)
    await respond(response_type="ephemeral", replace_original=True, text=done_text(result, actor.lang))
