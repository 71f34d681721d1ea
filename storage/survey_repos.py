"""Survey runs, invites, dialog progress and anonymous responses (bot/surveys/service.py).

The anonymity rules live in the shape of these queries: responses are written and read
without any user id or time, and read back in the order of their random ids, never in the
order they were stored.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Coordinator, SurveyInvite, SurveyProgress, SurveyResponse, SurveyRun
from storage.repositories import insert_unless_present
from storage.session_repos import code_id


class Surveys:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def _postgres(self) -> bool:
        return self.session.bind.dialect.name == "postgresql"

    # --- runs ---------------------------------------------------------------------------------

    async def add_run(self, run: SurveyRun) -> SurveyRun:
        self.session.add(run)
        await self.session.flush()
        return run

    async def run(self, run_id: int, *, lock: bool = False) -> SurveyRun | None:
        query = select(SurveyRun).where(SurveyRun.id == run_id)
        if lock and self._postgres:
            query = query.with_for_update()
        return await self.session.scalar(query.execution_options(populate_existing=True))

    async def run_by_code(self, code: str, *, lock: bool = False) -> SurveyRun | None:
        run_id = code_id(code, "R")
        return await self.run(run_id, lock=lock) if run_id else None

    async def runs_for_session(self, session_id: int, survey_id: str) -> list[SurveyRun]:
        query = select(SurveyRun).where(SurveyRun.session_id == session_id, SurveyRun.survey_id == survey_id)
        return list(await self.session.scalars(query.order_by(SurveyRun.id)))

    async def open_runs(self, survey_id: str | None = None) -> list[SurveyRun]:
        query = select(SurveyRun).where(SurveyRun.status == "open")
        if survey_id is not None:
            query = query.where(SurveyRun.survey_id == survey_id)
        return list(await self.session.scalars(query.order_by(SurveyRun.id)))

    async def due_to_close(self, now: datetime) -> list[int]:
        query = select(SurveyRun.id).where(SurveyRun.status == "open", SurveyRun.deadline_at <= now)
        return list(await self.session.scalars(query.order_by(SurveyRun.id)))

    async def next_deadline(self, now: datetime) -> datetime | None:
        return await self.session.scalar(
            select(func.min(SurveyRun.deadline_at)).where(SurveyRun.status == "open", SurveyRun.deadline_at > now))

    # --- invites ------------------------------------------------------------------------------

    async def add_invites(self, run_id: int, user_ids: list[str]) -> None:
        self.session.add_all(SurveyInvite(run_id=run_id, user_id=user, completed=False) for user in user_ids)
        await self.session.flush()

    async def invite(self, run_id: int, user_id: str) -> SurveyInvite | None:
        return await self.session.scalar(
            select(SurveyInvite).where(SurveyInvite.run_id == run_id, SurveyInvite.user_id == user_id)
            .execution_options(populate_existing=True))

    async def count_invites(self, run_id: int) -> int:
        query = select(func.count()).select_from(SurveyInvite).where(SurveyInvite.run_id == run_id)
        return await self.session.scalar(query) or 0

    async def mark_completed(self, run_id: int, user_id: str) -> bool:
        """Flip the invite to completed; False when it already was (or does not exist).

        A conditional UPDATE: two concurrent completions cannot both see `completed = false`
        (PostgreSQL re-checks the condition after the row lock; SQLite writes one at a time).
        """
        result = await self.session.execute(
            update(SurveyInvite)
            .where(SurveyInvite.run_id == run_id, SurveyInvite.user_id == user_id, SurveyInvite.completed.is_(False))
            .values(completed=True)
            .execution_options(synchronize_session=False))
        return result.rowcount == 1

    async def completed_in_bureau(self, run_id: int, bureau: str) -> int:
        query = (select(func.count()).select_from(SurveyInvite)
                 .join(Coordinator, Coordinator.slack_user_id == SurveyInvite.user_id)
                 .where(SurveyInvite.run_id == run_id, SurveyInvite.completed.is_(True), Coordinator.bureau == bureau))
        return await self.session.scalar(query) or 0

    # --- progress (tied to a person until the response is complete) ---------------------------

    async def progress(self, run_id: int, user_id: str, *, lock: bool = False) -> SurveyProgress | None:
        query = select(SurveyProgress).where(SurveyProgress.run_id == run_id, SurveyProgress.user_id == user_id)
        if lock and self._postgres:
            # Serialises one person's clicks (a checkbox change racing Next) on PostgreSQL;
            # SQLite's BEGIN IMMEDIATE already does.
            query = query.with_for_update()
        return await self.session.scalar(query.execution_options(populate_existing=True))

    async def progress_of_user(self, user_id: str) -> list[SurveyProgress]:
        query = (select(SurveyProgress).join(SurveyRun, SurveyRun.id == SurveyProgress.run_id)
                 .where(SurveyProgress.user_id == user_id, SurveyRun.status == "open")
                 .order_by(SurveyProgress.updated_at.desc(), SurveyProgress.id.desc()))
        return list(await self.session.scalars(query))

    async def create_progress(self, run_id: int, user_id: str, state: bytes, now: datetime) -> None:
        """Insert the first progress unless a concurrent click already did."""
        await self.session.execute(insert_unless_present(self.session, SurveyProgress.__table__, ["run_id", "user_id"]),
                                   {"run_id": run_id, "user_id": user_id, "state_encrypted": state, "updated_at": now})

    async def delete_progress(self, run_id: int, user_id: str) -> None:
        await self.session.execute(
            delete(SurveyProgress).where(SurveyProgress.run_id == run_id, SurveyProgress.user_id == user_id))

    async def delete_run_progress(self, run_id: int) -> int:
        result = await self.session.execute(delete(SurveyProgress).where(SurveyProgress.run_id == run_id))
        return result.rowcount or 0

    async def delete_progress_of_closed_runs(self) -> int:
        closed = select(SurveyRun.id).where(SurveyRun.status == "closed")
        result = await self.session.execute(delete(SurveyProgress).where(SurveyProgress.run_id.in_(closed)))
        return result.rowcount or 0

    # --- responses (anonymous) ----------------------------------------------------------------

    async def add_response(self, run_id: int, bureau: str | None, answers: bytes) -> None:
        self.session.add(SurveyResponse(run_id=run_id, bureau=bureau, answers_encrypted=answers))
        await self.session.flush()

    async def responses(self, run_id: int) -> list[tuple[str | None, bytes]]:
        """(bureau, encrypted answers) of every response, ordered by the random id."""
        query = (select(SurveyResponse.bureau, SurveyResponse.answers_encrypted)
                 .where(SurveyResponse.run_id == run_id).order_by(SurveyResponse.id))
        return [(bureau, answers) for bureau, answers in (await self.session.execute(query)).all()]
