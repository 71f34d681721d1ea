"""Unit of work: one transaction, its repositories, and the cipher for encrypted columns.

    async with deps.uow() as uow:
        person = await uow.coordinators.get(user_id)
        ...
    # committed here; rolled back if the block raised
"""

from __future__ import annotations

from contextvars import ContextVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.crypto import Cipher
from storage.db import wipe_write_ahead_log
from storage import repositories as repos
from storage import (library_repo, material_repos, outbox_repo, poll_repos, request_repos, session_repos,
                     study_group_repos, survey_repos)
from storage.privacy_repos import PrivacyRepository
from storage.review_repos import ReviewRepository

# The unit of work the running task is inside, if any. A task started inside one inherits it, so
# what counts is whether that unit of work is still open, not merely that it was set.
_current: ContextVar["UnitOfWork | None"] = ContextVar("jirei_unit_of_work", default=None)


def transaction_open() -> bool:
    """True while the calling task is inside `async with uow` (no Slack call may happen then)."""
    uow = _current.get()
    return uow is not None and uow.is_open


class UnitOfWork:
    def __init__(self, session_factory: async_sessionmaker, cipher: Cipher, *, read_only: bool = False) -> None:
        self._factory = session_factory
        self.cipher = cipher
        self.read_only = read_only
        self.session: AsyncSession
        self._wipe_after_commit = False
        self.is_open = False

    async def __aenter__(self) -> "UnitOfWork":
        self.session = self._factory()
        self.is_open = True
        self._entered = _current.set(self)
        self.coordinators = repos.Coordinators(self.session)
        self.roles = repos.Roles(self.session)
        self.audit = repos.AuditLog(self.session)
        self.processed = repos.ProcessedRequests(self.session)
        self.encrypted = repos.EncryptedColumns(self.session)
        self.cases = session_repos.Cases(self.session)
        self.sessions = session_repos.Sessions(self.session)
        self.registrations = session_repos.Registrations(self.session)
        self.material_reads = session_repos.MaterialReads(self.session)
        self.materials = material_repos.Materials(self.session)
        self.case_requests = request_repos.CaseRequests(self.session)
        self.study_groups = study_group_repos.StudyGroups(self.session)
        self.nudges = study_group_repos.Nudges(self.session)
        self.study_group_activity = study_group_repos.StudyGroupActivity(self.session)
        self.proposal_counts = study_group_repos.ProposalCounts(self.session)
        self.surveys = survey_repos.Surveys(self.session)
        self.outbox = outbox_repo.Outbox(self.session)
        self.privacy = PrivacyRepository(self.session)
        self.review = ReviewRepository(self.session)
        self.library = library_repo.Library(self.session)
        self.date_polls = poll_repos.DatePolls(self.session)
        return self

    async def __aexit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None and not self.read_only:
                await self.session.commit()
                if self._wipe_after_commit:
                    await wipe_write_ahead_log(self.session.bind)
            elif exc_type is None:
                pass  # nothing to keep; close() below ends the read snapshot and keeps loaded values
            else:
                await self.session.rollback()
        finally:
            self.is_open = False
            _current.reset(self._entered)
            await self.session.close()

    def wipe_freed_pages(self) -> None:
        """After this transaction commits, wipe the write-ahead log too: for a transaction that
        deleted what tied data to a person (deleted rows are zeroed in the database itself, see
        storage/db.py, but the log keeps the old pages and the order of writes)."""
        self._wipe_after_commit = True

    async def commit(self) -> None:
        await self.session.commit()

    async def flush(self) -> None:
        await self.session.flush()
