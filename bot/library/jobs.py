"""The case library's periodic job: keep the index in step with published cases."""

from __future__ import annotations

import asyncio

from bot.deps import Deps
from bot.library import service as library


async def index_library(deps: Deps) -> int:
    """Published cases not yet in the library, and those changed since, are indexed: read in one
    transaction, the commentary's text extracted off the loop with none open, written in another."""
    async with deps.uow(read_only=True) as uow:
        drafts = await library.drafts_to_index(uow, deps.tz)
    if not drafts:
        return 0
    bodies = [await asyncio.to_thread(library.commentary_text, draft) for draft in drafts]
    now = deps.clock.now()
    async with deps.uow() as uow:
        for draft, body in zip(drafts, bodies):
            await library.index(uow, now, draft, body)
    return len(drafts)
