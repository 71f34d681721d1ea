"""Repositories for self-organised study groups: groups, their members, nudges, and proposal counts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update

from storage.models import (AuditEntry, CaseSession, Delivery, Nudge, ProposalCount, Registration, StudyGroup,
                            StudyGroupMember)
from storage.repositories import Repository, insert_unless_present
from storage.session_repos import code_id


class StudyGroups(Repository[StudyGroup]):
    async def get(self, group_id: int, *, lock: bool = False) -> StudyGroup | None:
        query = select(StudyGroup).where(StudyGroup.id == group_id)
        if lock and self.on_postgresql:
            # Two bot processes must not both open a Slack space for one group.
            query = query.with_for_update(skip_locked=True)
        return await self.session.scalar(query.execution_options(populate_existing=True))

    async def by_channel(self, channel_id: str) -> StudyGroup | None:
        return await self.session.scalar(select(StudyGroup).where(StudyGroup.channel_id == channel_id))

    async def by_code(self, code: str) -> StudyGroup | None:
        group_id = code_id(code, "G")
        return await self.get(group_id) if group_id else None

    async def add_member(self, group_id: int, user_id: str) -> StudyGroupMember:
        member = StudyGroupMember(group_id=group_id, user_id=user_id, status="invited")
        self.session.add(member)
        await self.session.flush()
        return member

    async def member(self, group_id: int, user_id: str) -> StudyGroupMember | None:
        return await self.session.scalar(select(StudyGroupMember).where(
            StudyGroupMember.group_id == group_id, StudyGroupMember.user_id == user_id))

    async def members(self, group_id: int, *statuses: str) -> list[StudyGroupMember]:
        query = select(StudyGroupMember).where(StudyGroupMember.group_id == group_id)
        if statuses:
            query = query.where(StudyGroupMember.status.in_(statuses))
        return list(await self.session.scalars(query.order_by(StudyGroupMember.id)))

    async def of_user(self, user_id: str, *member_statuses: str) -> list[tuple[StudyGroup, StudyGroupMember]]:
        query = (select(StudyGroup, StudyGroupMember)
                 .join(StudyGroupMember, StudyGroupMember.group_id == StudyGroup.id)
                 .where(StudyGroupMember.user_id == user_id))
        if member_statuses:
            query = query.where(StudyGroupMember.status.in_(member_statuses))
        rows = await self.session.execute(query.order_by(StudyGroup.id.desc()))
        return [(group, member) for group, member in rows.all()]

    async def users_in_active_groups(self) -> set[str]:
        query = (select(StudyGroupMember.user_id)
                 .join(StudyGroup, StudyGroup.id == StudyGroupMember.group_id)
                 .where(StudyGroup.status == "active", StudyGroupMember.status == "accepted"))
        return set(await self.session.scalars(query))

    async def groupings_since(self, since: datetime) -> list[frozenset[str]]:
        """Everyone proposed together since `since` (whatever they answered): the cool-down's memory."""
        query = (select(StudyGroupMember.group_id, StudyGroupMember.user_id)
                 .join(StudyGroup, StudyGroup.id == StudyGroupMember.group_id)
                 .where(StudyGroup.created_at >= since))
        together: dict[int, set[str]] = {}
        for group_id, user_id in (await self.session.execute(query)).all():
            together.setdefault(group_id, set()).add(user_id)
        return [frozenset(members) for _, members in sorted(together.items())]

    async def with_status(self, *statuses: str) -> list[StudyGroup]:
        query = select(StudyGroup).where(StudyGroup.status.in_(statuses)).order_by(StudyGroup.id)
        return list(await self.session.scalars(query))

    async def accepted_counts(self, group_ids: list[int]) -> dict[int, int]:
        if not group_ids:
            return {}
        query = (select(StudyGroupMember.group_id, func.count())
                 .where(StudyGroupMember.group_id.in_(group_ids), StudyGroupMember.status == "accepted")
                 .group_by(StudyGroupMember.group_id))
        return {group_id: n for group_id, n in (await self.session.execute(query)).all()}

    async def awaiting_space(self) -> list[tuple[StudyGroup, StudyGroupMember]]:
        """Accepted members of groups that have a space, who have not been added to it yet."""
        query = (select(StudyGroup, StudyGroupMember)
                 .join(StudyGroupMember, StudyGroupMember.group_id == StudyGroup.id)
                 .where(StudyGroup.status == "active", StudyGroup.channel_id.is_not(None),
                        StudyGroupMember.status == "accepted", StudyGroupMember.joined_at.is_(None))
                 .order_by(StudyGroup.id, StudyGroupMember.id))
        return [(group, member) for group, member in (await self.session.execute(query)).all()]

    async def count_formed_since(self, since: datetime) -> int:
        query = select(func.count()).select_from(StudyGroup).where(
            StudyGroup.created_at >= since, StudyGroup.channel_id.is_not(None))
        return await self.session.scalar(query) or 0


class Nudges(Repository[Nudge]):
    async def get(self, nudge_id: int) -> Nudge | None:
        return await self.session.scalar(
            select(Nudge).where(Nudge.id == nudge_id).execution_options(populate_existing=True))

    async def users_nudged_since(self, since: datetime) -> set[str]:
        return set(await self.session.scalars(select(Nudge.user_id).where(Nudge.sent_at >= since)))

    async def counts_since(self, since: datetime) -> dict[str, int]:
        query = select(Nudge.status, func.count()).where(Nudge.sent_at >= since).group_by(Nudge.status)
        return {status: n for status, n in (await self.session.execute(query)).all()}

    async def open_for_user(self, user_id: str) -> list[Nudge]:
        query = select(Nudge).where(Nudge.user_id == user_id, Nudge.status.in_(("sent", "later")))
        return list(await self.session.scalars(query))


class StudyGroupActivity:
    """What the study-group jobs read from shared tables: deliveries, the audit log, sessions."""

    def __init__(self, session) -> None:
        self.session = session

    async def last_matching_run(self, action: str) -> datetime | None:
        query = select(func.max(AuditEntry.at)).where(AuditEntry.action == action, AuditEntry.outcome == "ok")
        return await self.session.scalar(query)

    async def first_session_held_at(self) -> datetime | None:
        return await self.session.scalar(select(func.min(CaseSession.held_at)))

    async def users_told_since(self, kind: str, since: datetime) -> set[str]:
        query = select(Delivery.recipient).where(Delivery.kind == kind, Delivery.created_at >= since,
                                                 Delivery.status != "cancelled")
        return set(await self.session.scalars(query))

    async def pending_deliveries(self, kind: str) -> list[Delivery]:
        query = select(Delivery).where(Delivery.kind == kind, Delivery.status == "pending")
        return list(await self.session.scalars(query.order_by(Delivery.id)))

    async def address_delivery(self, delivery_id: int, channel: str) -> bool:
        """Point a pending delivery at the conversation opened for it."""
        row = await self.session.get(Delivery, delivery_id)
        if row is None or row.status != "pending":
            return False
        row.payload = {**(row.payload or {}), "channel": channel}
        row.recipient = channel
        return True

    async def postpone_delivery(self, delivery_id: int, due_at: datetime) -> None:
        await self.session.execute(update(Delivery).where(Delivery.id == delivery_id, Delivery.status == "pending")
                                   .values(due_at=due_at))

    async def self_run_held_since(self, since: datetime) -> list[CaseSession]:
        query = select(CaseSession).where(CaseSession.kind == "self_run", CaseSession.held_at.is_not(None),
                                          CaseSession.held_at >= since)
        return list(await self.session.scalars(query.order_by(CaseSession.id)))

    async def self_run_proposed_since(self, since: datetime) -> int:
        query = select(func.count()).select_from(CaseSession).where(
            CaseSession.kind == "self_run", CaseSession.created_at >= since)
        return await self.session.scalar(query) or 0

    async def attendance(self, session_id: int) -> tuple[int, int]:
        """(attended, confirmed-but-not-marked) registrations of one session."""
        query = (select(Registration.status, func.count()).where(Registration.session_id == session_id)
                 .group_by(Registration.status))
        counts = {status: n for status, n in (await self.session.execute(query)).all()}
        return counts.get("attended", 0), counts.get("confirmed", 0)


class ProposalCounts:
    """The monthly proposal cap's counters (storage/models.ProposalCount)."""

    def __init__(self, session) -> None:
        self.session = session

    async def proposed(self, holder: str, month: str) -> int | None:
        """Proposals counted for `holder` in `month`; None when nothing was counted yet."""
        return await self.session.scalar(select(ProposalCount.proposed).where(
            ProposalCount.holder == holder, ProposalCount.month == month).execution_options(populate_existing=True))

    async def take_one(self, holder: str, month: str, limit: int, *, counted_before: int = 0) -> bool:
        """Count one more proposal unless `limit` is reached; True when counted.

        One conditional UPDATE on the (holder, month) row does the check and the count at once. On
        PostgreSQL a second transaction's UPDATE waits for the first's row lock and then checks
        `proposed < limit` again on the committed row, so simultaneous proposals never pass the cap;
        on SQLite, BEGIN IMMEDIATE lets one writer in at a time. The row is first added if absent
        (ON CONFLICT DO NOTHING: a simultaneous insert waits for the other and then adds nothing),
        starting from `counted_before`.
        """
        await self.session.execute(insert_unless_present(self.session, ProposalCount.__table__, ["holder", "month"]),
                                   {"holder": holder, "month": month, "proposed": counted_before})
        result = await self.session.execute(
            update(ProposalCount)
            .where(ProposalCount.holder == holder, ProposalCount.month == month, ProposalCount.proposed < limit)
            .values(proposed=ProposalCount.proposed + 1).execution_options(synchronize_session=False))
        return result.rowcount == 1

    async def forget_before(self, month: str) -> int:
        """Delete the counts of months before `month` ("2027-05" sorts as its month)."""
        result = await self.session.execute(delete(ProposalCount).where(ProposalCount.month < month))
        return result.rowcount or 0
