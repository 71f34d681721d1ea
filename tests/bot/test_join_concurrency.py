"""Forty people join a thirty-seat session at the same moment, at service level: every join runs in
its own unit of work, concurrently, on each backend. Thirty are confirmed, ten wait, nobody twice.

What makes this hold is the database's lock: the writer lock every SQLite transaction takes up front
(BEGIN IMMEDIATE, storage/db.py), the session row's lock on PostgreSQL (sessions.by_code(lock=True)).
"""

import asyncio
from datetime import timedelta

from bot.people import service as people
from bot.sessions import service as sessions
from bot.sessions.cases import create_case
from bot.people.results import Actor
from bot.core.session_spec import SessionSpec

ADMIN = Actor(user_id="UADMIN01", is_admin=True)
SEATS, PEOPLE = 30, 40


async def _session_and_people(uow_factory, now) -> list[str]:
    async with uow_factory() as uow:
        case = await create_case(uow, now, ADMIN, title="受診同行の事例", theme="medical_welfare", lecturer=None)
        start = now + timedelta(days=45)
        item = await sessions.create_session(uow, now, ADMIN, SessionSpec(
            case=case.code, bureau="tokyo", start=start, minutes=120, capacity=SEATS, min_participants=5,
            deadline=start - timedelta(days=14), release=start - timedelta(days=7)))
        item.announced_at = now  # sessions are joinable once announced
        users = []
        for i in range(PEOPLE):
            user_id = f"UJ{i:04d}"
            change = people.validate_profile({"name": f"テスト {i}", "prefecture": "東京都",
                                              "affiliation": ("public", "private")[i % 2], "themes": "医療・福祉"})
            await people.update_profile(uow, now, user_id, change)
            await people.accept_pledge(uow, now, user_id)
            users.append(user_id)
    return users


async def test_forty_join_thirty_seats_at_once(uow_factory, clock):
    now = clock.now()
    users = await _session_and_people(uow_factory, now)

    async def join(user_id: str) -> str:
        async with uow_factory() as uow:
            return (await sessions.join(uow, now, Actor(user_id=user_id), "S1")).outcome

    outcomes = await asyncio.gather(*(join(user) for user in users))
    assert sorted(outcomes).count("confirmed") == SEATS and outcomes.count("waitlisted") == PEOPLE - SEATS
    async with uow_factory() as uow:
        assert await uow.registrations.count(1, "confirmed") == SEATS
        waiting = await uow.registrations.for_session(1, "waitlisted")
        everyone = await uow.registrations.for_session(1)
    assert len(waiting) == PEOPLE - SEATS
    assert sorted(r.user_id for r in everyone) == sorted(users)  # one registration each
