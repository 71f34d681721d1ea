"""Repository for date polls (日程調整): the poll, its candidate slots and members' answers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import DatePoll, DatePollAnswer, DatePollSlot


class DatePolls:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, poll: DatePoll, starts: list[datetime]) -> DatePoll:
        self.session.add(poll)
        await self.session.flush()
        self.session.add_all(DatePollSlot(poll_id=poll.id, position=i, starts_at=start)
                             for i, start in enumerate(starts, start=1))
        await self.session.flush()
        return poll

    async def get(self, poll_id: int, *, lock: bool = False) -> DatePoll | None:
        """The poll; locked on PostgreSQL (a close and an answer take turns)."""
        query = select(DatePoll).where(DatePoll.id == poll_id)
        if lock:
            query = query.with_for_update()
        return await self.session.scalar(query)

    async def slots(self, poll_id: int) -> list[DatePollSlot]:
        query = select(DatePollSlot).where(DatePollSlot.poll_id == poll_id).order_by(DatePollSlot.position)
        return list(await self.session.scalars(query))

    async def answers(self, poll_id: int) -> list[DatePollAnswer]:
        query = select(DatePollAnswer).where(DatePollAnswer.poll_id == poll_id).order_by(DatePollAnswer.id)
        return list(await self.session.scalars(query))

    async def has_answered(self, poll_id: int, user_id: str) -> bool:
        query = select(DatePollAnswer.id).where(DatePollAnswer.poll_id == poll_id,
                                                DatePollAnswer.user_id == user_id).limit(1)
        return await self.session.scalar(query) is not None

    async def set_answer(self, poll_id: int, slot_id: int, user_id: str, answer: str, now: datetime) -> None:
        """One person's answer for one slot, added or changed in one statement (two presses at once
        leave one row, the later answer)."""
        insert = postgresql_insert if self.session.bind.dialect.name == "postgresql" else sqlite_insert
        statement = insert(DatePollAnswer).values(poll_id=poll_id, slot_id=slot_id, user_id=user_id,
                                                  answer=answer, updated_at=now)
        statement = statement.on_conflict_do_update(index_elements=["slot_id", "user_id"],
                                                    set_={"answer": answer, "updated_at": now})
        await self.session.execute(statement)
