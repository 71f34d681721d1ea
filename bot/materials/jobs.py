"""Materials' periodic jobs: release the material when its time comes; publish to the portal."""

from __future__ import annotations

from bot.deps import Deps
from bot.materials.results import RELEASE_STATUSES
from bot.materials.service import (publish, queue_commentaries, release_for_session, remind_missing_materials,
                                   report_if_incomplete)


async def release_due_materials(deps: Deps) -> int:
    """Periodic: sessions whose release time has come. Cheap when there is nothing to do."""
    now = deps.clock.now()
    queued = 0
    async with deps.uow() as uow:
        for item in await uow.sessions.with_status(*RELEASE_STATUSES):
            if item.release_at is not None and item.release_at <= now < item.ends_at:
                queued += await release_for_session(uow, now, item)
    if queued:
        deps.wake_dispatcher()
    return queued


async def publish_when_complete(deps: Deps) -> int:
    """Periodic: publish every case that every bureau has held; then the commentaries that follow."""
    portal = deps.settings.portal_channel
    if not portal:
        return 0
    published = 0
    now = deps.clock.now()
    async with deps.uow() as uow:
        for case in await uow.cases.unpublished():
            check = await publish(uow, now, None, case, portal, secretariat=deps.settings.admin_ids)
            published += int(check.ready and not check.already)
        published += await queue_commentaries(uow, now)
    if published:
        deps.wake_dispatcher()
    return published


async def report_incomplete_cases(deps: Deps) -> int:
    """Periodic: cases that can no longer be held by all eight bureaus, told to the secretariat once
    per state."""
    now = deps.clock.now()
    reported = 0
    async with deps.uow() as uow:
        for case in await uow.cases.unpublished():
            reported += await report_if_incomplete(uow, now, case, deps.settings.admin_ids, deps.tz)
    if reported:
        deps.wake_dispatcher()
    return reported


async def remind_due_materials(deps: Deps) -> int:
    """Periodic: a material still missing a week or a day before its release, or after it."""
    async with deps.uow() as uow:
        queued = await remind_missing_materials(uow, deps.clock.now(), deps.settings.admin_ids)
    if queued:
        deps.wake_dispatcher()
    return queued
