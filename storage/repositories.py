"""Repositories: the only place that writes SQL. Services get them through a UnitOfWork."""

from __future__ import annotations

from datetime import datetime, timedelta
from dataclasses import dataclass
from typing import Any, Generic, Iterable, TypeVar

from sqlalchemy import (Insert, String, Table, bindparam, cast, delete, false, func, literal, null, select,
                        union_all)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry, Base, Coordinator, ProcessedRequest, RoleGrant

Row = TypeVar("Row", bound=Base)


def insert_unless_present(session: AsyncSession, table: Table, unique: list[str]) -> Insert:
    """INSERT … ON CONFLICT (`unique`) DO NOTHING, on SQLite or PostgreSQL. The values go with the
    execution, so the statement is compiled once: `(await session.execute(statement, row)).rowcount`
    is 1 when the row was added. For several rows in one statement, add RETURNING and execute it
    with the list of rows: one row comes back per row added. The table, not the mapped class: a
    plain INSERT, without the ORM's bulk machinery."""
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    return insert(table).on_conflict_do_nothing(index_elements=unique)


class Repository(Generic[Row]):
    """What every table's repository does alike: it works in the unit of work's session, and `add`
    flushes the new row so its id (and a code built from it) is known before the commit."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def on_postgresql(self) -> bool:
        """PostgreSQL rather than SQLite: where rows are locked (SQLite serialises writers instead,
        storage/db.py) and where the dialect's own INSERT … ON CONFLICT is taken."""
        return self.session.bind.dialect.name == "postgresql"

    async def add(self, row: Row) -> Row:
        self.session.add(row)
        await self.session.flush()
        return row


class Coordinators:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, person: Coordinator) -> Coordinator:
        self.session.add(person)
        return person

    async def get(self, slack_user_id: str) -> Coordinator | None:
        return await self.session.scalar(
            select(Coordinator).where(Coordinator.slack_user_id == slack_user_id)
        )

    async def lang_of(self, slack_user_id: str) -> str:
        """The person's language; Japanese for someone the bot does not know."""
        return await self.session.scalar(
            select(Coordinator.lang).where(Coordinator.slack_user_id == slack_user_id)) or "ja"

    async def identity(self, slack_user_id: str) -> "Identity":
        """What every request needs to know about its person, in one statement (no ORM objects):
        the profile's few fields and the role grants. Runs before most answers, so it is lean."""
        rows = (await self.session.execute(_IDENTITY, {"user_id": slack_user_id})).all()
        person = next((row for row in rows if row.kind == "person"), None)
        return Identity(person=person, grants=tuple((row.role, row.bureau) for row in rows if row.kind == "grant"))

    async def get_or_create(self, slack_user_id: str, now: datetime) -> Coordinator:
        found = await self.get(slack_user_id)
        if found is not None:
            return found
        person = Coordinator(slack_user_id=slack_user_id, themes=[], created_at=now, updated_at=now)
        self.session.add(person)
        await self.session.flush()
        return person

    async def many(self, slack_user_ids: Iterable[str]) -> dict[str, Coordinator]:
        ids = list(set(slack_user_ids))
        if not ids:
            return {}
        rows = await self.session.scalars(select(Coordinator).where(Coordinator.slack_user_id.in_(ids)))
        return {row.slack_user_id: row for row in rows}

    async def in_bureau(self, bureau: str, *, pledged_only: bool = False) -> list[Coordinator]:
        query = select(Coordinator).where(Coordinator.bureau == bureau, Coordinator.active.is_(True))
        if pledged_only:
            query = query.where(Coordinator.pledge_accepted_at.is_not(None))
        return list(await self.session.scalars(query.order_by(Coordinator.id)))

    async def active(self) -> list[Coordinator]:
        query = select(Coordinator).where(Coordinator.active.is_(True)).order_by(Coordinator.id)
        return list(await self.session.scalars(query))

    async def count(self) -> int:
        return await self.session.scalar(select(func.count()).select_from(Coordinator)) or 0


@dataclass(frozen=True)
class Identity:
    person: Any  # a row with lang, bureau, name, prefecture, affiliation, pledged; None if unknown
    grants: tuple[tuple[str, str], ...]  # (role, bureau)


def _identity_statement():
    people, grants = Coordinator.__table__.c, RoleGrant.__table__.c
    text = cast(null(), String)
    return union_all(
        select(literal("person", String).label("kind"), people.lang, people.bureau, people.name, people.prefecture,
               people.affiliation, people.pledge_accepted_at.is_not(None).label("pledged"), text.label("role"))
        .where(people.slack_user_id == bindparam("user_id")),
        select(literal("grant", String), text, grants.bureau, text, text, text, false(), grants.role)
        .where(grants.slack_user_id == bindparam("user_id")),
    )


_IDENTITY = _identity_statement()


class Roles:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def of(self, slack_user_id: str) -> list[RoleGrant]:
        rows = await self.session.scalars(select(RoleGrant).where(RoleGrant.slack_user_id == slack_user_id))
        return list(rows)

    async def grant(self, slack_user_id: str, role: str, bureau: str, by: str, now: datetime) -> RoleGrant:
        existing = await self.session.scalar(
            select(RoleGrant).where(
                RoleGrant.slack_user_id == slack_user_id, RoleGrant.role == role, RoleGrant.bureau == bureau
            )
        )
        if existing is not None:
            return existing
        grant = RoleGrant(slack_user_id=slack_user_id, role=role, bureau=bureau, granted_by=by, granted_at=now)
        self.session.add(grant)
        await self.session.flush()
        return grant

    async def revoke_all(self, slack_user_id: str) -> None:
        await self.session.execute(delete(RoleGrant).where(RoleGrant.slack_user_id == slack_user_id))

    async def holders(self, role: str) -> list[str]:
        rows = await self.session.scalars(select(RoleGrant.slack_user_id).where(RoleGrant.role == role))
        return sorted(set(rows))

    async def staff_of(self, bureau: str) -> list[str]:
        rows = await self.session.scalars(select(RoleGrant.slack_user_id).where(
            RoleGrant.role == "bureau_staff", RoleGrant.bureau == bureau))
        return sorted(set(rows))


class AuditLog:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(
        self, now: datetime, actor: str, action: str, outcome: str, target: str | None = None, **detail
    ) -> None:
        self.session.add(
            AuditEntry(at=now, actor=actor, action=action, target=target, outcome=outcome, detail=detail)
        )

    async def latest_at(self) -> datetime | None:
        """When the newest entry was written: the last moment the database knows of."""
        return await self.session.scalar(select(func.max(AuditEntry.at)))

    async def entries(self, *, actor: str | None = None, action: str | None = None) -> list[AuditEntry]:
        query = select(AuditEntry).order_by(AuditEntry.id)
        if actor is not None:
            query = query.where(AuditEntry.actor == actor)
        if action is not None:
            query = query.where(AuditEntry.action == action)
        return list(await self.session.scalars(query))


class ProcessedRequests:
    """Keys of events and interactions already handled (Slack retries them)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def first_time(self, key: str, now: datetime) -> bool:
        """Record `key`; False when it was seen before. One statement that skips a key already
        there (two at once: the second waits for the first to commit, then skips)."""
        statement = insert_unless_present(self.session, ProcessedRequest.__table__, ["key"])
        return bool((await self.session.execute(statement, {"key": key, "seen_at": now})).rowcount)

    async def forget_older_than(self, moment: datetime) -> int:
        result = await self.session.execute(delete(ProcessedRequest).where(ProcessedRequest.seen_at < moment))
        return result.rowcount or 0

    async def forget(self, key: str) -> None:
        """Let an interaction through again (a modal answered with validation errors is resubmitted)."""
        await self.session.execute(delete(ProcessedRequest).where(ProcessedRequest.key == key))


KEEP_PROCESSED_FOR = timedelta(hours=1)


class EncryptedColumns:
    """Rows by an encrypted column, for re-encrypting under a new key (`rotate-key`)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def batch(self, model: type, column: str, *, after_id: Any, limit: int) -> list:
        """Up to `limit` rows of `model` whose `column` holds a value, by id after `after_id` (None:
        from the start); locked on PostgreSQL, since a running bot may be saving to them."""
        query = select(model).where(getattr(model, column).is_not(None)).order_by(model.id).limit(limit)
        if after_id is not None:
            query = query.where(model.id > after_id)
        if self.session.bind.dialect.name == "postgresql":
            query = query.with_for_update()
        return list(await self.session.scalars(query))
