"""Privacy's periodic job: delete material content past its retention."""

from __future__ import annotations

import logging

from bot.deps import Deps
from bot.privacy.service import delete_expired_materials, material_retention_days

log = logging.getLogger(__name__)


async def apply_material_retention(deps: Deps) -> int:
    async with deps.uow() as uow:
        result = await delete_expired_materials(uow, deps.clock.now(), material_retention_days(deps.settings))
    if result.materials:
        log.info("retention deleted %s materials of %s", len(result.materials), ",".join(result.cases))
    return len(result.materials)
