"""Repositories for cases, sessions, registrations and material reads."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case as sql_case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Case, CaseSession, MaterialRead, Registration
from storage.repositories import Repository



def code_id(code: str, prefix: str) -> int | None:
    if not code or code[0].upper() != prefix or not code[1:].isdigit():
        return None
    return int(code[1:])


class Cases(Repository[Case]):
    async def by_code(self, code: str) -> Case | None:
        case_id = code_id(code, "C")
        return await self.session.get(Case, case_id) if case_id else None

    async def get(self, case_id: int) -> Case | None:
        return await self.session.get(Case, case_id)

    async def all(self) -> list[Case]:
        return list(await self.session.scalars(select(Case).order_by(Case.id)))

    async def official(self) -> list[Case]:
        """The cases the secretariat's sessions are held on: every case but a study group's own (the case
        of a self-run session)."""
        self_run = select(CaseSession.id).where(CaseSession.case_id == Case.id, CaseSession.kind == "self_run")
        return list(await self.session.scalars(select(Case).where(~self_run.exists()).order_by(Case.id)))

    async def unpublished(self) -> list[Case]:
        return list(await self.session.scalars(select(Case).where(Case.published_at.is_(None)).order_by(Case.id)))

    async def many(self, case_ids: list[int]) -> dict[int, Case]:
        if not case_ids:
            return {}
        return {c.id: c for c in await self.session.scalars(select(Case).where(Case.id.in_(case_ids)))}

    async def uploadable_by(self, user_id: str) -> list[Case]:
        """The cases a non-admin may add material to: theirs as lecturer or as a self-run's proposer."""
        query = select(Case).where(or_(Case.lecturer_user_id == user_id, Case.created_by == user_id)).order_by(Case.id)
        return list(await self.session.scalars(query))


class Sessions(Repository[CaseSession]):
    async def by_code(self, code: str, *, lock: bool = False) -> CaseSession | None:
        session_id = code_id(code, "S")
        if session_id is None:
            return None
        return await self.get(session_id, lock=lock)

    async def get(self, session_id: int, *, lock: bool = False) -> CaseSession | None:
        query = select(CaseSession).where(CaseSession.id == session_id)
        if lock and self.on_postgresql:
            # Serialises registrations per session; SQLite's BEGIN IMMEDIATE already does.
            query = query.with_for_update()
        return await self.session.scalar(query.execution_options(populate_existing=True))

    async def with_status(self, *statuses: str) -> list[CaseSession]:
        query = select(CaseSession).where(CaseSession.status.in_(statuses)).order_by(CaseSession.starts_at)
        return list(await self.session.scalars(query))

    async def open_first(self, own_bureau: str | None, limit: int) -> tuple[list[CaseSession], int]:
        """The first `limit` open sessions, the given bureau's first, then by start time; and how
        many are open in all. One or two queries, however many sessions there are. Sessions not yet
        announced are nobody's to see."""
        listed = (CaseSession.status == "open", CaseSession.announced_at.is_not(None))
        query = select(CaseSession).where(*listed)
        order = [CaseSession.starts_at, CaseSession.id]
        if own_bureau:
            order.insert(0, sql_case((CaseSession.bureau == own_bureau, 0), else_=1))
        items = list(await self.session.scalars(query.order_by(*order).limit(limit)))
        if len(items) < limit:
            return items, len(items)  # every open session is listed: nothing more to count
        total = await self.session.scalar(select(func.count()).where(*listed))
        return items, int(total or 0)

    async def due_for_decision(self, now: datetime) -> list[int]:
        query = select(CaseSession.id).where(CaseSession.status == "open", CaseSession.deadline_at <= now)
        return list(await self.session.scalars(query.order_by(CaseSession.id)))

    async def due_to_close(self, now: datetime) -> list[CaseSession]:
        query = select(CaseSession).where(CaseSession.status == "confirmed", CaseSession.starts_at <= now)
        return [s for s in await self.session.scalars(query) if s.ends_at <= now]

    async def for_case(self, case_id: int) -> list[CaseSession]:
        query = select(CaseSession).where(CaseSession.case_id == case_id).order_by(CaseSession.id)
        return list(await self.session.scalars(query))

    async def substitutes_of(self, session_ids: list[int]) -> list[CaseSession]:
        """The substitute 意見交換会 created for the given (called-off) sessions."""
        if not session_ids:
            return []
        query = select(CaseSession).where(CaseSession.substitute_of_id.in_(session_ids)).order_by(CaseSession.id)
        return list(await self.session.scalars(query))

    async def all(self) -> list[CaseSession]:
        return list(await self.session.scalars(select(CaseSession).order_by(CaseSession.id)))

    async def count_proposed_by(self, user_id: str, since: datetime) -> int:
        """Self-run sessions `user_id` proposed since `since`, called off or not."""
        return await self.session.scalar(
            select(func.count()).select_from(CaseSession)
            .where(CaseSession.kind == "self_run", CaseSession.created_by == user_id, CaseSession.created_at >= since)) or 0

    async def many(self, session_ids: list[int]) -> dict[int, CaseSession]:
        if not session_ids:
            return {}
        rows = await self.session.scalars(select(CaseSession).where(CaseSession.id.in_(session_ids)))
        return {row.id: row for row in rows}


class Registrations(Repository[Registration]):
    async def get(self, session_id: int, user_id: str) -> Registration | None:
        return await self.session.scalar(
            select(Registration).where(Registration.session_id == session_id, Registration.user_id == user_id)
        )

    async def count(self, session_id: int, *statuses: str) -> int:
        query = select(func.count()).select_from(Registration).where(
            Registration.session_id == session_id, Registration.status.in_(statuses))
        return await self.session.scalar(query) or 0

    async def for_session(self, session_id: int, *statuses: str) -> list[Registration]:
        query = select(Registration).where(Registration.session_id == session_id)
        if statuses:
            query = query.where(Registration.status.in_(statuses))
        return list(await self.session.scalars(query.order_by(Registration.registered_at, Registration.id)))

    async def first_waitlisted(self, session_id: int) -> Registration | None:
        query = (select(Registration)
                 .where(Registration.session_id == session_id, Registration.status == "waitlisted")
                 .order_by(Registration.registered_at, Registration.id).limit(1))
        return await self.session.scalar(query)

    async def status_counts(self, session_ids: list[int]) -> dict[int, dict[str, int]]:
        """{session id: {status: count}} for many sessions in one query."""
        if not session_ids:
            return {}
        rows = await self.session.execute(
            select(Registration.session_id, Registration.status, func.count())
            .where(Registration.session_id.in_(session_ids))
            .group_by(Registration.session_id, Registration.status))
        counts: dict[int, dict[str, int]] = {}
        for session_id, status, n in rows.all():
            counts.setdefault(session_id, {})[status] = n
        return counts

    async def of_user_in(self, user_id: str, session_ids: list[int]) -> dict[int, Registration]:
        if not session_ids:
            return {}
        rows = await self.session.scalars(select(Registration).where(
            Registration.user_id == user_id, Registration.session_id.in_(session_ids)))
        return {row.session_id: row for row in rows}

    async def of_user(self, user_id: str) -> list[Registration]:
        query = select(Registration).where(Registration.user_id == user_id).order_by(Registration.registered_at)
        return list(await self.session.scalars(query))

    async def attendance_counts(self, user_ids: list[str]) -> dict[str, int]:
        if not user_ids:
            return {}
        query = (select(Registration.user_id, func.count()).where(
            Registration.user_id.in_(user_ids), Registration.status == "attended").group_by(Registration.user_id))
        return {user: n for user, n in (await self.session.execute(query)).all()}


class MaterialReads:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def mark(self, session_id: int, user_id: str, now: datetime) -> bool:
        existing = await self.session.scalar(select(MaterialRead).where(
            MaterialRead.session_id == session_id, MaterialRead.user_id == user_id))
        if existing is not None:
            return False
        self.session.add(MaterialRead(session_id=session_id, user_id=user_id, read_at=now))
        await self.session.flush()
        return True

    async def readers(self, session_id: int) -> set[str]:
        rows = await self.session.scalars(select(MaterialRead.user_id).where(MaterialRead.session_id == session_id))
        return set(rows)
