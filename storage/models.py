"""SQLAlchemy 2 models: the whole of Jirei's state.

Conventions: times are timezone-aware UTC (`UtcDateTime`); user-facing codes (C1, S1, R1, G1)
are derived from integer ids; personal free text (materials, survey answers, survey progress)
is stored only as ciphertext (`*_encrypted` columns, see storage/crypto.py).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator):
    """Aware UTC datetimes on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UtcDateTime(), dict: JSON(), list: JSON()}


# --- people -------------------------------------------------------------------


def profile_is_complete(name: str | None, prefecture: str | None, bureau: str | None,
                        affiliation: str | None) -> bool:
    """What a profile needs before its person can join a session (also read without the model)."""
    return bool(name and prefecture and bureau and affiliation)


class Coordinator(Base):
    """A person known to the bot: their profile and pledge. Keyed by Slack user id."""

    __tablename__ = "coordinators"

    id: Mapped[int] = mapped_column(primary_key=True)
    slack_user_id: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    prefecture: Mapped[str | None] = mapped_column(String(8))
    bureau: Mapped[str | None] = mapped_column(String(16), index=True)
    affiliation: Mapped[str | None] = mapped_column(String(8))  # public | private
    themes: Mapped[list] = mapped_column(default=list)
    lang: Mapped[str] = mapped_column(String(2), default="ja")
    nudges_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    online_ok: Mapped[bool] = mapped_column(Boolean, default=True)
    pledge_accepted_at: Mapped[datetime | None]
    pledge_version: Mapped[str | None] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    @property
    def profile_complete(self) -> bool:
        return profile_is_complete(self.name, self.prefecture, self.bureau, self.affiliation)


class RoleGrant(Base):
    """A role beyond coordinator: admin, bureau_staff (for one bureau), lecturer."""

    __tablename__ = "role_grants"
    __table_args__ = (UniqueConstraint("slack_user_id", "role", "bureau", name="uq_role_grants_user_role_bureau"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slack_user_id: Mapped[str] = mapped_column(String(32), index=True)
    role: Mapped[str] = mapped_column(String(16))
    bureau: Mapped[str] = mapped_column(String(16), default="")
    granted_by: Mapped[str] = mapped_column(String(32))
    granted_at: Mapped[datetime]


class AuditEntry(Base):
    """Who did what, refused or not. `detail` holds codes and ids only, never names or text."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))  # ok | refused | error
    detail: Mapped[dict] = mapped_column(default=dict)


# --- cases and sessions -----------------------------------------------------------


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    theme: Mapped[str] = mapped_column(String(32))
    # A short summary for the portal post, written by the secretariat and checked for personal data.
    summary: Mapped[str | None] = mapped_column(String(500))
    lecturer_user_id: Mapped[str | None] = mapped_column(String(32))
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
    published_at: Mapped[datetime | None]

    @property
    def code(self) -> str:
        return f"C{self.id}"


class Material(Base):
    """One version of a case's material or commentary; the content is ciphertext."""

    __tablename__ = "materials"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # material | commentary
    version: Mapped[int] = mapped_column(Integer)
    # The neutral name (case-C1-material.pdf); the uploader's own name, when it passed the personal-data
    # check, is kept encrypted beside it and is the name the file is sent under.
    filename: Mapped[str | None] = mapped_column(String(255))
    filename_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    mimetype: Mapped[str | None] = mapped_column(String(100))
    url: Mapped[str | None] = mapped_column(String(2000))
    content_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    sha256: Mapped[str | None] = mapped_column(String(64))
    findings: Mapped[list] = mapped_column(default=list)  # kinds and lines only, no found text
    confirmed_by: Mapped[str | None] = mapped_column(String(32))
    confirmed_at: Mapped[datetime | None]
    slack_file_id: Mapped[str | None] = mapped_column(String(32))
    uploaded_by: Mapped[str] = mapped_column(String(32))
    uploaded_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]


class CaseRequest(Base):
    """事例作成の依頼: the secretariat asks a lecturer for a case in a field, by a due date. The note,
    a decline's reason and a rejection's note are free text and stored only as ciphertext."""

    __tablename__ = "case_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    theme: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    lecturer_user_id: Mapped[str] = mapped_column(String(32), index=True)
    requested_by: Mapped[str] = mapped_column(String(32))
    due_on: Mapped[date] = mapped_column(Date)
    note_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    # asked | accepted | declined | submitted | approved | withdrawn
    status: Mapped[str] = mapped_column(String(16), default="asked")
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), unique=True)
    reason_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    # The version of the material waiting for (or given) the secretariat's approval.
    material_id: Mapped[int | None] = mapped_column(Integer)
    reviewed_by: Mapped[str | None] = mapped_column(String(32))
    reviewed_at: Mapped[datetime | None]
    review_note_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]

    @property
    def code(self) -> str:
        return f"Q{self.id}"


class CaseSession(Base):
    """One meeting: an official 事例検討会 at a bureau, a substitute 意見交換会, or a self-run one."""

    __tablename__ = "case_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="official")  # official | exchange | self_run
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    title: Mapped[str | None] = mapped_column(String(200))
    theme: Mapped[str | None] = mapped_column(String(32))
    bureau: Mapped[str] = mapped_column(String(16), index=True)
    starts_at: Mapped[datetime]
    minutes: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[int] = mapped_column(Integer)
    min_participants: Mapped[int] = mapped_column(Integer)
    deadline_at: Mapped[datetime]
    release_at: Mapped[datetime | None]
    format: Mapped[str] = mapped_column(String(16), default="hybrid")
    place: Mapped[str | None] = mapped_column(String(200))
    facilitator_user_id: Mapped[str | None] = mapped_column(String(32))
    online_url: Mapped[str | None] = mapped_column(String(2000))
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    lottery: Mapped[bool] = mapped_column(Boolean, default=False)
    group_min: Mapped[int] = mapped_column(Integer, default=5)
    group_max: Mapped[int] = mapped_column(Integer, default=6)
    reminder_offsets_minutes: Mapped[list] = mapped_column(default=lambda: [7 * 24 * 60, 24 * 60, 60])
    substitute_of_id: Mapped[int | None] = mapped_column(ForeignKey("case_sessions.id"))
    study_group_id: Mapped[int | None] = mapped_column(ForeignKey("study_groups.id"))
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
    announced_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    held_at: Mapped[datetime | None]

    @property
    def code(self) -> str:
        return f"S{self.id}"

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.minutes)


class Registration(Base):
    __tablename__ = "registrations"
    __table_args__ = (
        UniqueConstraint("session_id", "user_id", name="uq_registrations_session_user"),
        Index("ix_registrations_session_status", "session_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("case_sessions.id"))
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    # applied (lottery) | confirmed | waitlisted | cancelled | attended | no_show
    status: Mapped[str] = mapped_column(String(16))
    group_no: Mapped[int | None] = mapped_column(Integer)
    registered_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # While attended: the status the check-in replaced (cancelled for someone with no registration), so
    # undoing it gives back what they held, a seat or a place on the waitlist; None before this was kept.
    checked_in_from: Mapped[str | None] = mapped_column(String(16))


class MaterialRead(Base):
    __tablename__ = "material_reads"
    __table_args__ = (UniqueConstraint("session_id", "user_id", name="uq_material_reads_session_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("case_sessions.id"))
    user_id: Mapped[str] = mapped_column(String(32))
    read_at: Mapped[datetime]


# --- the case library ------------------------------------------------------------


class LibraryEntry(Base):
    """A case in the library (`/jirei cases`): a published case, or a self-run session's case its
    group chose to share after the personal-data check. Only what is meant for every coordinator is
    here, in plain text so it can be indexed: title, theme, the summary and the commentary's text
    (or, for a shared self-run case, the checked text its group shared). The case material itself
    stays encrypted in `materials` and is never indexed.

    `search_text` is what the full-text index covers (SQLite: the FTS5 table `library_fts` with the
    trigram tokenizer, kept by the repository; PostgreSQL: a pg_trgm GIN index), both made by the
    migration, not by these models (storage/migrations/env.py leaves them out of comparisons)."""

    __tablename__ = "library_entries"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    source: Mapped[str] = mapped_column(String(16))  # official | self_run
    title: Mapped[str] = mapped_column(String(200))
    theme: Mapped[str] = mapped_column(String(32), index=True)
    summary: Mapped[str | None] = mapped_column(String(500))
    commentary_text: Mapped[str | None] = mapped_column(Text)
    commentary_material_id: Mapped[int | None] = mapped_column(Integer)
    fiscal_year: Mapped[int | None] = mapped_column(Integer, index=True)
    bureaus_held: Mapped[int] = mapped_column(Integer, default=0)
    bureau_codes: Mapped[str] = mapped_column(String(200), default="")  # ",tokyo,osaka," for bureau=
    study_group_id: Mapped[int | None] = mapped_column(Integer)
    search_text: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime] = mapped_column(index=True)
    # Set when the case or its commentary changed after indexing; the library job indexes it again.
    stale: Mapped[bool] = mapped_column(Boolean, default=False)
    indexed_at: Mapped[datetime]

    @property
    def code(self) -> str:
        return f"C{self.case_id}"


# --- the outbox -----------------------------------------------------------------


class Delivery(Base):
    """A message the bot owes. The payload is a reference (kind + ids), never personal text."""

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_status_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(64))  # a user id (DM) or a channel id
    payload: Mapped[dict] = mapped_column(default=dict)
    due_at: Mapped[datetime]
    grace_seconds: Mapped[int | None] = mapped_column(Integer)
    # pending | claimed | sent | failed | skipped | cancelled
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]
    outcome_unknown: Mapped[bool] = mapped_column(Boolean, default=False)
    sent_at: Mapped[datetime | None]
    slack_channel: Mapped[str | None] = mapped_column(String(32))
    slack_ts: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(String(200))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("case_sessions.id"), index=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("fanout_batches.id"), index=True)
    created_at: Mapped[datetime]


class FanoutBatch(Base):
    """A large send an admin started; its progress message is updated as deliveries complete."""

    __tablename__ = "fanout_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    total: Mapped[int] = mapped_column(Integer)
    admin_user_id: Mapped[str | None] = mapped_column(String(32))
    progress_channel: Mapped[str | None] = mapped_column(String(32))
    progress_ts: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


# --- surveys ----------------------------------------------------------------------


class SurveyRun(Base):
    __tablename__ = "survey_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[str] = mapped_column(String(64))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("case_sessions.id"))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | closed
    opens_at: Mapped[datetime]
    deadline_at: Mapped[datetime]
    reminder_offsets_minutes: Mapped[list] = mapped_column(default=lambda: [3 * 24 * 60, 24 * 60])
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]

    @property
    def code(self) -> str:
        return f"R{self.id}"


class SurveyInvite(Base):
    """Who was invited and whether they finished — for reminders only.

    Deliberately no completion timestamp: it could be matched to a response's position.
    """

    __tablename__ = "survey_invites"
    __table_args__ = (UniqueConstraint("run_id", "user_id", name="uq_survey_invites_run_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("survey_runs.id"), index=True)
    user_id: Mapped[str] = mapped_column(String(32))
    completed: Mapped[bool] = mapped_column(Boolean, default=False)


class SurveyProgress(Base):
    """An unfinished dialog, tied to its person; deleted the moment the response is complete."""

    __tablename__ = "survey_progress"
    __table_args__ = (UniqueConstraint("run_id", "user_id", name="uq_survey_progress_run_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("survey_runs.id"))
    user_id: Mapped[str] = mapped_column(String(32))
    state_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime]


def _random_id() -> str:
    return uuid.uuid4().hex


class SurveyResponse(Base):
    """A complete, anonymous response: random id, no user, no time (see SurveyInvite), written in
    batches of at least five (bot/surveys/service.py).

    Stored in the order of the random id (SQLite: WITHOUT ROWID; a rowid table keeps the order
    of writing)."""

    __tablename__ = "survey_responses"
    __table_args__ = {"sqlite_with_rowid": False}

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_random_id)
    run_id: Mapped[int] = mapped_column(ForeignKey("survey_runs.id"), index=True)
    # Only on responses written before the batches; since then the bureau is inside the ciphertext.
    bureau: Mapped[str | None] = mapped_column(String(16))
    answers_encrypted: Mapped[bytes] = mapped_column(LargeBinary)


# --- study groups -------------------------------------------------------------------


class StudyGroup(Base):
    __tablename__ = "study_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    bureau: Mapped[str | None] = mapped_column(String(16))
    themes: Mapped[list] = mapped_column(default=list)
    channel_id: Mapped[str | None] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(16), default="forming")  # forming | active | closed
    created_at: Mapped[datetime]
    # The personal-data guard on the group's channel, switched off by one of its members (when).
    guard_off_at: Mapped[datetime | None]
    # Set while one process opens the group's Slack space (outside any transaction); others wait.
    space_claimed_until: Mapped[datetime | None]

    @property
    def code(self) -> str:
        return f"G{self.id}"


class StudyGroupMember(Base):
    __tablename__ = "study_group_members"
    __table_args__ = (UniqueConstraint("group_id", "user_id", name="uq_study_group_members_group_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("study_groups.id"), index=True)
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(16), default="invited")  # invited | accepted | declined
    joined_at: Mapped[datetime | None]


class ProposalCount(Base):
    """Self-run sessions one person proposed in one calendar month (Japan time), for the monthly cap.

    Keyed by a keyed hash of their Slack user id, not the id (and not their tombstone): the count
    outlives forget-me, so forgetting oneself and registering again does not reset the cap. Held
    only until the month ends; the retention job then deletes it.
    """

    __tablename__ = "proposal_counts"

    holder: Mapped[str] = mapped_column(String(40), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # 2027-05
    proposed: Mapped[int] = mapped_column(Integer, default=0)


class Nudge(Base):
    __tablename__ = "nudges"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("study_groups.id"), index=True)
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(16), default="sent")  # sent | accepted | later | stopped
    sent_at: Mapped[datetime]
    responded_at: Mapped[datetime | None]


# --- Slack retries ---------------------------------------------------------------------


class ProcessedRequest(Base):
    """Event ids and interaction keys already handled, so Slack's retries have no second effect."""

    __tablename__ = "processed_requests"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(index=True)


class DatePoll(Base):
    """日程調整: a study group's organiser offers candidate slots; members answer ○ △ × per slot.
    The note is free text and stored only as ciphertext."""

    __tablename__ = "date_polls"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("study_groups.id"), index=True)
    organiser_user_id: Mapped[str] = mapped_column(String(32), index=True)
    title: Mapped[str] = mapped_column(String(64))
    note_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | closed
    # session (a self-run session) | reminder (a plain reminder in the group's space)
    outcome: Mapped[str | None] = mapped_column(String(16))
    chosen_slot_id: Mapped[int | None] = mapped_column(Integer)
    session_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]

    @property
    def code(self) -> str:
        return f"P{self.id}"


class DatePollSlot(Base):
    __tablename__ = "date_poll_slots"
    __table_args__ = (UniqueConstraint("poll_id", "starts_at", name="uq_date_poll_slots_poll_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("date_polls.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[datetime]


class DatePollAnswer(Base):
    """One member's ○ (yes) △ (maybe) × (no) for one slot; changed in place until the poll closes."""

    __tablename__ = "date_poll_answers"
    __table_args__ = (UniqueConstraint("slot_id", "user_id", name="uq_date_poll_answers_slot_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("date_polls.id"), index=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("date_poll_slots.id"))
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    answer: Mapped[str] = mapped_column(String(8))  # yes | maybe | no
    updated_at: Mapped[datetime]
