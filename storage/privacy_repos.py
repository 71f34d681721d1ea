"""SQL for forgetting a person and for material retention (bot/privacy/service.py)."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import String, cast, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    AuditEntry,
    Case,
    CaseRequest,
    CaseSession,
    Coordinator,
    DatePoll,
    DatePollAnswer,
    Delivery,
    FanoutBatch,
    Material,
    MaterialRead,
    Nudge,
    Registration,
    RoleGrant,
    StudyGroupMember,
    SurveyInvite,
    SurveyProgress,
    SurveyRun,
)

FORGET_ME_ACTION = "privacy.forget_me"

# Rows that only exist because of the person and mean nothing without them: deleted.
PERSONAL_ROWS = {
    "survey_progress": SurveyProgress.user_id,
    "material_reads": MaterialRead.user_id,
    "nudges": Nudge.user_id,
    "date_poll_answers": DatePollAnswer.user_id,
    "study_group_members": StudyGroupMember.user_id,
    "role_grants": RoleGrant.slack_user_id,
    "coordinators": Coordinator.slack_user_id,
}

# Columns that name the person in rows that must stay (counts, capacity, history): the user id
# is replaced by a tombstone, so totals stay right and nothing leads back to the person.
USER_COLUMNS = (
    Registration.user_id,
    SurveyInvite.user_id,
    Delivery.recipient,
    AuditEntry.actor,
    AuditEntry.target,
    RoleGrant.granted_by,
    Case.lecturer_user_id,
    Case.created_by,
    CaseSession.facilitator_user_id,
    CaseSession.created_by,
    Material.uploaded_by,
    Material.confirmed_by,
    FanoutBatch.admin_user_id,
    SurveyRun.created_by,
    CaseRequest.lecturer_user_id,
    CaseRequest.requested_by,
    CaseRequest.reviewed_by,
    DatePoll.organiser_user_id,
)


# The times in those rows that record what the person did (or what was done with them). Once the
# rows carry a tombstone these are cut to the day (Japan time): the forget-me audit entry, which names the
# person, keeps its exact time, and the seats given up in the same transaction would otherwise
# carry that very time and lead from the entry to the tombstone and its whole history. Schedule
# times (a session's start, a delivery's due time and lease) are not the person's and stay.
TIMES_OF_A_PERSON = {
    Registration.user_id: (Registration.registered_at, Registration.updated_at),
    AuditEntry.actor: (AuditEntry.at,),
    AuditEntry.target: (AuditEntry.at,),
    Delivery.recipient: (Delivery.created_at, Delivery.sent_at),
    RoleGrant.granted_by: (RoleGrant.granted_at,),
    Case.created_by: (Case.created_at,),
    CaseSession.created_by: (CaseSession.created_at,),
    Material.uploaded_by: (Material.uploaded_at,),
    Material.confirmed_by: (Material.confirmed_at,),
    FanoutBatch.admin_user_id: (FanoutBatch.created_at,),
    SurveyRun.created_by: (SurveyRun.created_at,),
    CaseRequest.lecturer_user_id: (CaseRequest.answered_at,),
    CaseRequest.requested_by: (CaseRequest.created_at,),
    CaseRequest.reviewed_by: (CaseRequest.reviewed_at,),
    DatePoll.organiser_user_id: (DatePoll.created_at, DatePoll.closed_at),
}


def to_the_day(moment: datetime | None, tz: tzinfo) -> datetime | None:
    """Midnight (in `tz`) of the day `moment` falls on; None stays None."""
    if moment is None:
        return None
    return moment.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)

# JSON columns that can name people: an audit entry's detail (a lottery's trace) and a delivery's
# payload (a group introduction's members, a study group's newcomers).
JSON_COLUMNS = (AuditEntry.detail, Delivery.payload)
# Values beside a person's id that lead back to them without it: a lottery ticket is the hash of
# the draw's seed and the user id; the time they applied matches their registration.
TRACES_OF_A_PERSON = ("ticket", "applied_at")


def without_person(value: Any, user_id: str, tombstone: str) -> Any:
    """`value` (decoded JSON) with `user_id` gone: dropped from lists (a group introduction still
    to be sent then leaves them out), replaced by the tombstone in any other text, and the traces
    beside it removed."""
    if isinstance(value, dict):
        names_them = user_id in value.values()
        return {key: without_person(item, user_id, tombstone) for key, item in value.items()
                if not (names_them and key in TRACES_OF_A_PERSON)}
    if isinstance(value, list):
        return [without_person(item, user_id, tombstone) for item in value if item != user_id]
    if isinstance(value, str):
        return value.replace(user_id, tombstone)
    return value


def _names(column, user_id: str):
    return cast(column, String).contains(user_id, autoescape=True)


class PrivacyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def delete_personal_rows(self, user_id: str) -> dict[str, int]:
        """Delete every row that exists only for this person; returns counts by table."""
        counts: dict[str, int] = {}
        for table, column in PERSONAL_ROWS.items():
            result = await self.session.execute(delete(column.class_).where(column == user_id))
            counts[table] = result.rowcount or 0
        return counts

    async def replace_user_id(self, user_id: str, tombstone: str) -> dict[str, int]:
        """Put `tombstone` wherever `user_id` names the person in rows that are kept."""
        counts: dict[str, int] = {}
        for column in USER_COLUMNS:
            result = await self.session.execute(
                update(column.class_).where(column == user_id).values({column.key: tombstone})
                .execution_options(synchronize_session=False))
            counts[f"{column.class_.__tablename__}.{column.key}"] = result.rowcount or 0
        # Dedupe keys spell the recipient (e.g. material:S1:U123:M4).
        await self.session.execute(
            update(Delivery)
            .where(Delivery.recipient == tombstone, Delivery.dedupe_key.contains(user_id, autoescape=True))
            .values(dedupe_key=func.replace(Delivery.dedupe_key, user_id, tombstone))
            .execution_options(synchronize_session=False))
        # The channel a direct message went to is the person's own DM channel: an id of theirs.
        counts.update(await self._empty(Delivery.slack_channel, where=Delivery.recipient == tombstone))
        counts.update(await self._empty(FanoutBatch.progress_channel, where=FanoutBatch.admin_user_id == tombstone))
        # What a lecturer wrote declining a request is their own text: it goes with them.
        counts.update(await self._empty(CaseRequest.reason_encrypted,
                                        where=CaseRequest.lecturer_user_id == tombstone))
        # A date poll's note is its organiser's own text: it goes with them.
        counts.update(await self._empty(DatePoll.note_encrypted, where=DatePoll.organiser_user_id == tombstone))
        for column in JSON_COLUMNS:
            rows = await self.session.scalars(
                select(column.class_).where(_names(column, user_id)).execution_options(populate_existing=True))
            changed = 0
            for row in rows:
                setattr(row, column.key, without_person(getattr(row, column.key), user_id, tombstone))
                changed += 1
            counts[f"{column.class_.__tablename__}.{column.key}"] = changed
        await self.session.flush()
        return counts

    async def _empty(self, column, *, where) -> dict[str, int]:
        """Set `column` to NULL in the rows `where` picks that have a value; {"table.column": how many}."""
        result = await self.session.execute(
            update(column.class_).where(where, column.is_not(None)).values({column.key: None})
            .execution_options(synchronize_session=False))
        return {f"{column.class_.__tablename__}.{column.key}": result.rowcount or 0}

    async def blur_times(self, tombstone: str, tz: tzinfo) -> int:
        """Cut the times of what the person did, in the rows now carrying `tombstone`, to the day
        in `tz` (TIMES_OF_A_PERSON); returns how many rows changed."""
        changed = 0
        for column, times in TIMES_OF_A_PERSON.items():
            rows = await self.session.scalars(
                select(column.class_).where(column == tombstone).execution_options(populate_existing=True))
            for row in rows:
                for time in times:
                    setattr(row, time.key, to_the_day(getattr(row, time.key), tz))
                changed += 1
        await self.session.flush()
        return changed

    async def future_registrations(self, user_id: str, now: datetime) -> list[str]:
        """Codes of sessions still ahead where the person holds or waits for a seat."""
        rows = await self.session.execute(
            select(CaseSession.id).join(Registration, Registration.session_id == CaseSession.id)
            .where(Registration.user_id == user_id,
                   Registration.status.in_(("confirmed", "waitlisted", "applied")),
                   CaseSession.status.in_(("open", "confirmed")), CaseSession.starts_at > now)
            .order_by(CaseSession.id))
        return [f"S{session_id}" for (session_id,) in rows]

    async def materials_past_retention(self, published_before: datetime) -> list[Material]:
        """Materials still holding content whose case was published before the given moment."""
        rows = await self.session.scalars(
            select(Material).join(Case, Case.id == Material.case_id)
            .where(Case.published_at.is_not(None), Case.published_at <= published_before,
                   Material.deleted_at.is_(None))
            .order_by(Material.id))
        return list(rows)

    async def asked_to_be_forgotten(self, user_id: str) -> bool:
        """Whether this user id ever used forget-me: its audit entry is the one row kept under their id."""
        return bool(await self.session.scalar(select(select(AuditEntry.id).where(
            AuditEntry.actor == user_id, AuditEntry.action == FORGET_ME_ACTION).exists())))

    async def count_rows(self, user_id: str) -> int:
        """Rows anywhere that still carry this user id (0 after forgetting, bar the audit of it)."""
        total = 0
        for column in (*PERSONAL_ROWS.values(), *USER_COLUMNS):
            query = select(func.count()).select_from(column.class_).where(column == user_id)
            if column.class_ is AuditEntry:
                query = query.where(AuditEntry.action != FORGET_ME_ACTION)
            total += await self.session.scalar(query) or 0
        for column in JSON_COLUMNS:
            query = select(func.count()).select_from(column.class_).where(_names(column, user_id))
            if column.class_ is AuditEntry:
                query = query.where(AuditEntry.action != FORGET_ME_ACTION)
            total += await self.session.scalar(query) or 0
        return total
