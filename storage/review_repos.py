"""Read-only queries for the Home tab and the yearly review: counts in bulk, so a Home tab with
hundreds of sessions costs a handful of statements rather than several per session."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from sqlalchemy import Row, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    CaseSession,
    MaterialRead,
    Registration,
    StudyGroup,
    StudyGroupMember,
    SurveyInvite,
    SurveyResponse,
    SurveyRun,
)

# Bound parameters per IN list; well under SQLite's and PostgreSQL's limits.
_CHUNK = 500




class ReviewRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _in_chunks(self, ids: Iterable[int], query_for: Callable[[Sequence[int]], Select]) -> list[Row]:
        """The rows of `query_for(chunk)` over the distinct ids in ascending order, at most _CHUNK a query."""
        values = sorted(set(ids))
        rows: list[Row] = []
        for start in range(0, len(values), _CHUNK):
            rows += (await self.session.execute(query_for(values[start:start + _CHUNK]))).all()
        return rows

    # --- sessions and registrations -------------------------------------------------------

    async def sessions_starting_between(self, start: datetime, end: datetime) -> list[CaseSession]:
        query = (select(CaseSession).where(CaseSession.starts_at >= start, CaseSession.starts_at < end)
                 .order_by(CaseSession.starts_at, CaseSession.id))
        return list(await self.session.scalars(query))

    async def sessions_of_bureaus(self, bureaus: Iterable[str], *, not_before: datetime) -> list[CaseSession]:
        """A bureau's sessions that start at or after `not_before`, any status, soonest first."""
        codes = sorted(set(bureaus))
        if not codes:
            return []
        query = (select(CaseSession).where(CaseSession.bureau.in_(codes), CaseSession.starts_at >= not_before)
                 .order_by(CaseSession.starts_at, CaseSession.id))
        return list(await self.session.scalars(query))

    async def registration_counts(self, session_ids: Iterable[int]) -> dict[int, dict[str, int]]:
        """session id -> {registration status: count}; sessions without registrations are absent."""
        rows = await self._in_chunks(session_ids, lambda chunk: (
            select(Registration.session_id, Registration.status, func.count())
            .where(Registration.session_id.in_(chunk)).group_by(Registration.session_id, Registration.status)))
        counts: dict[int, dict[str, int]] = {}
        for session_id, status, n in rows:
            counts.setdefault(session_id, {})[status] = n
        return counts

    async def registrations_of(self, user_id: str, *statuses: str) -> list[tuple[Registration, CaseSession]]:
        query = (select(Registration, CaseSession).join(CaseSession, CaseSession.id == Registration.session_id)
                 .where(Registration.user_id == user_id))
        if statuses:
            query = query.where(Registration.status.in_(statuses))
        rows = await self.session.execute(query.order_by(CaseSession.starts_at, CaseSession.id))
        return [(reg, item) for reg, item in rows.all()]

    async def sessions_read_by(self, user_id: str) -> set[int]:
        return set(await self.session.scalars(select(MaterialRead.session_id).where(MaterialRead.user_id == user_id)))

    # --- surveys ---------------------------------------------------------------------------------

    async def runs_opening_between(self, start: datetime, end: datetime) -> list[SurveyRun]:
        query = (select(SurveyRun).where(SurveyRun.opens_at >= start, SurveyRun.opens_at < end)
                 .order_by(SurveyRun.id))
        return list(await self.session.scalars(query))

    async def open_runs_awaiting(self, user_id: str, now: datetime) -> list[SurveyRun]:
        """Open runs the person was invited to and has not finished, before their deadline."""
        query = (select(SurveyRun).join(SurveyInvite, SurveyInvite.run_id == SurveyRun.id)
                 .where(SurveyInvite.user_id == user_id, SurveyInvite.completed.is_(False),
                        SurveyRun.status == "open", SurveyRun.opens_at <= now, SurveyRun.deadline_at > now)
                 .order_by(SurveyRun.deadline_at, SurveyRun.id))
        return list(await self.session.scalars(query))

    async def invite_counts(self, run_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
        """run id -> (invited, completed)."""
        rows = await self._in_chunks(run_ids, lambda chunk: (
            select(SurveyInvite.run_id, func.count(), func.count().filter(SurveyInvite.completed.is_(True)))
            .where(SurveyInvite.run_id.in_(chunk)).group_by(SurveyInvite.run_id)))
        return {run_id: (invited, completed) for run_id, invited, completed in rows}

    async def responses_of_runs(self, run_ids: Iterable[int]) -> list[tuple[int, str | None, bytes]]:
        """(run id, clear bureau, encrypted response) of every response of these runs. The bureau
        is in clear only on responses written before the batches; since then it is inside the
        ciphertext."""
        rows = await self._in_chunks(run_ids, lambda chunk: (
            select(SurveyResponse.run_id, SurveyResponse.bureau, SurveyResponse.answers_encrypted)
            .where(SurveyResponse.run_id.in_(chunk)).order_by(SurveyResponse.id)))
        return [(run_id, bureau, blob) for run_id, bureau, blob in rows]

    # --- study groups ----------------------------------------------------------------------------

    async def groups_created_between(self, start: datetime, end: datetime) -> list[StudyGroup]:
        query = (select(StudyGroup).where(StudyGroup.created_at >= start, StudyGroup.created_at < end)
                 .order_by(StudyGroup.id))
        return list(await self.session.scalars(query))

    async def accepted_members(self, group_ids: Iterable[int]) -> dict[int, int]:
        rows = await self._in_chunks(group_ids, lambda chunk: (
            select(StudyGroupMember.group_id, func.count())
            .where(StudyGroupMember.group_id.in_(chunk), StudyGroupMember.status == "accepted")
            .group_by(StudyGroupMember.group_id)))
        return {group_id: n for group_id, n in rows}
