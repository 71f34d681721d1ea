"""Publishing a person's Home tab (on opening it, and after anything that changes it)."""

from __future__ import annotations

from bot.review.blocks import build_home_tab
from bot.deps import Deps
from bot.people.service import load_actor
from bot.review.service import home_data


async def refresh_home(deps: Deps, client, user_id: str) -> None:
    """One section per role the person holds; the identity is the event's user, never a value."""
    async with deps.uow(read_only=True) as uow:
        actor = await load_actor(uow, deps.admin_ids, user_id)
        data = await home_data(uow, deps.clock.now(), deps.tz, actor)
    await client.views_publish(user_id=user_id, view=build_home_tab(data, actor.lang, deps.tz))
