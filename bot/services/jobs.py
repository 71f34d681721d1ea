"""The periodic jobs: each run on every dispatcher tick, idempotent, cheap when idle.

The database is the truth for everything scheduled: a job looks at what is due *now* in the
tables, so a restart, a second process or a moved clock changes nothing about what happens.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Awaitable, Callable

from bot.deps import Deps
from bot.runtime import periodic
from bot.services import materials, sessions
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


@periodic("session_decisions")
async def decide_due_sessions(deps: Deps) -> int:
    """At the deadline: confirm with groups, or call off and offer a substitute."""
    now = deps.clock.now()
    async with deps.uow() as uow:
        due = await uow.sessions.due_for_decision(now)
    decided = 0
    for session_id in due:
        async with deps.uow() as uow:  # one transaction per session: one failure stops nothing else
            decision = await sessions.decide(uow, now, session_id, deps.settings.admin_ids)
        if decision is not None:
            decided += 1
            log.info("session decided", extra={"session": decision.session.code, "outcome": decision.outcome})
    if decided:
        deps.wake_dispatcher()
    return decided


@periodic("sessions_closing")
async def close_finished_sessions(deps: Deps) -> int:
    """After the session: held; then what follows a session (survey, introductions)."""
    now = deps.clock.now()
    closed = 0
    async with deps.uow() as uow:
        finished = await uow.sessions.due_to_close(now)
    for item in finished:
        async with deps.uow() as uow:
            fresh = await uow.sessions.get(item.id, lock=True)
            if fresh is None or not await sessions.close_finished(uow, now, fresh):
                continue
            for follow_up in AFTER_HELD:
                await follow_up(uow, now, fresh)
        closed += 1
    if closed:
        deps.wake_dispatcher()
    return closed


@periodic("materials_release")
async def release_materials(deps: Deps) -> int:
    return await materials.release_due_materials(deps)


@periodic("portal_publication")
async def publish_complete_cases(deps: Deps) -> int:
    return await materials.publish_when_complete(deps)


# Follow-ups of a held session, run in its closing transaction: (uow, now, session) -> None.
# The survey and study-group features add theirs.
AFTER_HELD: list = []


# --- when is the next thing due? (lets the console and tests jump the clock event to event) ---

NextDue = Callable[[UnitOfWork, datetime], Awaitable[datetime | None]]
NEXT_DUE: list[NextDue] = []


def next_due(provider: NextDue) -> NextDue:
    """Register a provider of the next moment something scheduled happens in a feature."""
    NEXT_DUE.append(provider)
    return provider


@next_due
async def next_session_moment(uow: UnitOfWork, now: datetime) -> datetime | None:
    moments = []
    for item in await uow.sessions.with_status("open", "confirmed"):
        if item.status == "open":
            moments.append(item.deadline_at)
        moments.append(item.ends_at)
        if item.release_at is not None:
            moments.append(item.release_at)
    return min((m for m in moments if m > now), default=None)


@next_due
async def next_delivery_moment(uow: UnitOfWork, now: datetime) -> datetime | None:
    return await uow.deliveries.next_due_after(now)


async def next_scheduled(deps: Deps) -> datetime | None:
    now = deps.clock.now()
    async with deps.uow() as uow:
        moments = [await provider(uow, now) for provider in NEXT_DUE]
    return min((m for m in moments if m is not None), default=None)
