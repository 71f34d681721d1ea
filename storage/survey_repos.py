"""Survey runs, invites, dialog progress and anonymous responses (bot/surveys/service.py).

The anonymity rules live in the shape of these queries: responses are written in batches, in
one transaction with the invites they complete, without any user id or time, and read back in
the order of their random ids, never in the order they were stored.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, insert, select, update

from storage.models import SurveyInvite, SurveyProgress, SurveyResponse, SurveyRun
from storage.repositories import Repository, insert_unless_present
from storage.session_repos import code_id


class Surveys(Repository[SurveyRun]):
    # --- runs ---------------------------------------------------------------------------------

    async def add_run(self, run: SurveyRun) -> SurveyRun:
        return await self.add(run)

    async def run(self, run_id: int, *, lock: bool = False) -> SurveyRun | None:
        query = select(SurveyRun).where(SurveyRun.id == run_id)
        if lock and self.on_postgresql:
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

    async def runs_opening_between(self, survey_id: str, start: datetime, end: datetime) -> list[SurveyRun]:
        query = (select(SurveyRun).where(SurveyRun.survey_id == survey_id, SurveyRun.opens_at >= start,
                                         SurveyRun.opens_at < end).order_by(SurveyRun.id))
        return list(await self.session.scalars(query))

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

    async def count_invites_of_runs(self, run_ids: list[int]) -> dict[int, int]:
        """run id -> how many were invited."""
        if not run_ids:
            return {}
        query = (select(SurveyInvite.run_id, func.count()).where(SurveyInvite.run_id.in_(run_ids))
                 .group_by(SurveyInvite.run_id))
        return {run_id: count for run_id, count in (await self.session.execute(query)).all()}

    async def count_invites(self, run_id: int) -> int:
        query = select(func.count()).select_from(SurveyInvite).where(SurveyInvite.run_id == run_id)
        return await self.session.scalar(query) or 0

    # --- progress (tied to a person until the response is complete) ---------------------------

    async def progress(self, run_id: int, user_id: str, *, lock: bool = False) -> SurveyProgress | None:
        query = select(SurveyProgress).where(SurveyProgress.run_id == run_id, SurveyProgress.user_id == user_id)
        if lock and self.on_postgresql:
            # Serialises one person's clicks (a checkbox change racing Next) on PostgreSQL;
            # SQLite's BEGIN IMMEDIATE already does.
            query = query.with_for_update()
        return await self.session.scalar(query.execution_options(populate_existing=True))

    async def progress_of_user(self, user_id: str) -> list[SurveyProgress]:
        query = (select(SurveyProgress).join(SurveyRun, SurveyRun.id == SurveyProgress.run_id)
                 .where(SurveyProgress.user_id == user_id, SurveyRun.status == "open")
                 .order_by(SurveyProgress.updated_at.desc(), SurveyProgress.id.desc()))
        return list(await self.session.scalars(query))

    async def run_progress(self, run_id: int) -> list[SurveyProgress]:
        """Every dialog of the run still tied to its person (answering, or finished and waiting for
        its batch: only the encrypted state tells which)."""
        query = select(SurveyProgress).where(SurveyProgress.run_id == run_id).order_by(SurveyProgress.id)
        return list(await self.session.scalars(query.execution_options(populate_existing=True)))

    async def create_progress(self, run_id: int, user_id: str, state: bytes, now: datetime) -> None:
        """Insert the first progress unless a concurrent click already did."""
        await self.session.execute(insert_unless_present(self.session, SurveyProgress.__table__, ["run_id", "user_id"]),
                                   {"run_id": run_id, "user_id": user_id, "state_encrypted": state, "updated_at": now})

    async def delete_run_progress(self, run_id: int) -> int:
        """The run's dialogs, deleted at its close. On PostgreSQL a dialog a click holds at that
        moment is skipped, not waited for: that click may be finishing and waiting for the batch
        lock the close holds; it writes its response itself, and anything else left is deleted
        by the next tick (delete_progress_of_closed_runs)."""
        doomed = select(SurveyProgress.id).where(SurveyProgress.run_id == run_id)
        if self.on_postgresql:
            doomed = doomed.with_for_update(skip_locked=True)
        result = await self.session.execute(delete(SurveyProgress).where(SurveyProgress.id.in_(doomed)))
        return result.rowcount or 0

    async def delete_progress_of_closed_runs(self) -> int:
        closed = select(SurveyRun.id).where(SurveyRun.status == "closed")
        result = await self.session.execute(delete(SurveyProgress).where(SurveyProgress.run_id.in_(closed)))
        return result.rowcount or 0

    # --- responses (anonymous) ----------------------------------------------------------------

    async def write_batch(self, run_id: int, user_ids: list[str], responses: list[tuple[str, bytes]]) -> None:
        """One batch in one transaction: the people's invites flip to completed, their dialogs are
        deleted, and the responses (random id, ciphertext) are inserted in the order given, which
        the caller draws at random. Nothing ties a response to one of these people."""
        if user_ids:
            await self.session.execute(
                update(SurveyInvite).where(SurveyInvite.run_id == run_id, SurveyInvite.user_id.in_(user_ids))
                .values(completed=True).execution_options(synchronize_session=False))
            await self.session.execute(
                delete(SurveyProgress).where(SurveyProgress.run_id == run_id, SurveyProgress.user_id.in_(user_ids)))
        if responses:
            await self.session.execute(insert(SurveyResponse.__table__), [
                {"id": response_id, "run_id": run_id, "bureau": None, "answers_encrypted": answers}
                for response_id, answers in responses])

    async def take_responses(self, run_id: int) -> list[tuple[str | None, bytes]]:
        """Every response of the run, deleted: for rewriting them all at the close."""
        taken = await self.responses(run_id)
        await self.session.execute(delete(SurveyResponse).where(SurveyResponse.run_id == run_id))
        return taken

    async def responses(self, run_id: int) -> list[tuple[str | None, bytes]]:
        """(bureau, encrypted answers) of every response, ordered by the random id."""
        query = (select(SurveyResponse.bureau, SurveyResponse.answers_encrypted)
                 .where(SurveyResponse.run_id == run_id).order_by(SurveyResponse.id))
        return [(bureau, answers) for bureau, answers in (await self.session.execute(query)).all()]

    async def responses_of_runs(self, run_ids: list[int]) -> list[tuple[int, str | None, bytes]]:
        """(run id, clear bureau, encrypted answers) of every response of these runs, by random id."""
        if not run_ids:
            return []
        query = (select(SurveyResponse.run_id, SurveyResponse.bureau, SurveyResponse.answers_encrypted)
                 .where(SurveyResponse.run_id.in_(run_ids)).order_by(SurveyResponse.id))
        return [(run_id, bureau, answers) for run_id, bureau, answers in (await self.session.execute(query)).all()]
