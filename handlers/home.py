"""Publishing a person's Home tab (on opening it, and after anything that changes it)."""

from __future__ import annotations

from bot.blocks.people import build_home
from bot.deps import Deps
from bot.services.people import load_actor
from bot.timefmt import format_date


async def refresh_home(deps: Deps, client, user_id: str) -> None:
    async with deps.uow() as uow:
        actor = await load_actor(uow, deps.admin_ids, user_id)
        person = await uow.coordinators.get(user_id)
    pledged = format_date(person.pledge_accepted_at, actor.lang, deps.tz) if person and person.pledge_accepted_at else None
    await client.views_publish(user_id=user_id, view=build_home(person, actor, actor.lang, pledged))
