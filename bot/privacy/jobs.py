"""Privacy's periodic job: delete what is kept only for a time (material content past its
retention, the proposal counts of months that have ended)."""

from __future__ import annotations

import logging

from bot.deps import Deps
from bot.privacy.service import delete_expired_materials, material_retention_days
from bot.study_groups.service import forget_past_proposal_counts

log = logging.getLogger(__name__)


async def apply_retention(deps: Deps) -> int:
    async with deps.uow() as uow:
        now = deps.clock.now()
        result = await delete_expired_materials(uow, now, material_retention_days(deps.settings))
        counts = await forget_past_proposal_counts(uow, now, deps.tz)
        if counts:
            # The deleted rows hold keyed hashes of user ids: out of the write-ahead log too.
            uow.wipe_freed_pages()
    if result.materials:
        log.info("retention deleted %s materials of %s", len(result.materials), ",".join(result.cases))
    if counts:
        log.info("retention deleted %s proposal counts of past months", counts)
    return len(result.materials) + counts
