"""The sessions' periodic jobs (listed in bot/features.py): idempotent, cheap when idle.

The database is the truth for everything scheduled: a job looks at what is due *now* in the
tables, so a restart, a second process or a moved clock changes nothing about what happens.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Awaitable, Callable, Sequence

from bot.deps import Deps
from bot.sessions import service as sessions
from bot.wiring import NextDue
from storage.models import CaseSession
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

# A follow-up of a held session, run in its closing transaction.
AfterHeld = Callable[[UnitOfWork, datetime, CaseSession], Awaitable[None]]


async def decide_due_sessions(deps: Deps) -> int:
    """At the deadline: confirm with groups, or call off and offer a substitute."""
    now = deps.clock.now()
    async with deps.uow() as uow:
        due = await uow.sessions.due_for_decision(now)
    decided = 0
    for session_id in due:
        async with deps.uow() as uow:  # one transaction per session: one failure stops nothing else
            decision = await sessions.decide(uow, now, session_id, deps.settings.admin_ids,
                                             deps.settings.announce_channel)
        if decision is not None:
            decided += 1
            log.info("session decided", extra={"session": decision.session.code, "outcome": decision.outcome})
    if decided:
        deps.wake_dispatcher()
    return decided


async def close_finished_sessions(deps: Deps, follow_ups: Sequence[AfterHeld] = ()) -> int:
    """After the session: held; then, in the same transaction, what follows a session (bot/features.py
    hands over the survey's and the study groups' follow-ups)."""
    now = deps.clock.now()
    closed = 0
    async with deps.uow() as uow:
        finished = await uow.sessions.due_to_close(now)
    for item in finished:
        async with deps.uow() as uow:
            fresh = await uow.sessions.get(item.id, lock=True)
            if fresh is None or not await sessions.close_finished(uow, now, fresh):
                continue
            for follow_up in follow_ups:
                await follow_up(uow, now, fresh)
        closed += 1
    if closed:
        deps.wake_dispatcher()
    return closed


# --- when is the next thing due? (lets the console and tests jump the clock event to event) ---


async def next_session_moment(uow: UnitOfWork, now: datetime) -> datetime | None:
    moments = []
    for item in await uow.sessions.with_status("open", "confirmed"):
        if item.status == "open":
            moments.append(item.deadline_at)
        moments.append(item.ends_at)
        if item.release_at is not None:
            moments.append(item.release_at)
    return min((m for m in moments if m > now), default=None)


async def next_delivery_moment(uow: UnitOfWork, now: datetime) -> datetime | None:
    return await uow.outbox.next_due_after(now)


async def next_scheduled(deps: Deps, providers: Sequence[NextDue]) -> datetime | None:
    now = deps.clock.now()
    async with deps.uow() as uow:
        moments = [await provider(uow, now) for provider in providers]
    return min((m for m in moments if m is not None), default=None)
