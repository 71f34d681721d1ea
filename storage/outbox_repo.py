"""The outbox's SQL (`uow.outbox`): deliveries looked up by key, session or person; fan-out
batches; and the dispatcher's claiming of due deliveries under a lease and recording what happened.

Claiming is one statement on both backends:

    UPDATE deliveries SET status='claimed', lease_owner=…, lease_until=…, attempts=attempts+1
    WHERE id IN (SELECT id FROM deliveries WHERE <due or lease expired>
                 ORDER BY due_at LIMIT n FOR UPDATE SKIP LOCKED)
    RETURNING *

On PostgreSQL `SKIP LOCKED` lets several processes claim disjoint rows without waiting on each
other; SQLite has no row locks (the clause is not rendered) but the statement is atomic and the
engine opens every transaction with BEGIN IMMEDIATE, so two claims cannot interleave.

Every later write is conditional on still holding the lease (status 'claimed' and our owner id):
a process that lost its lease (it stalled past lease_until and another one took over) changes
nothing, and the new owner reconciles with Slack before sending again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from typing import Iterable

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Delivery, FanoutBatch
from storage.repositories import insert_unless_present



def _claimable(now: datetime):
    return or_(
        and_(Delivery.status == "pending", Delivery.due_at <= now),
        # A claim whose lease ran out: its process died or stalled mid-send.
        and_(Delivery.status == "claimed", Delivery.lease_until < now),
    )


def _held(delivery_id: int, owner: str):
    return and_(Delivery.id == delivery_id, Delivery.status == "claimed", Delivery.lease_owner == owner)


@dataclass(frozen=True)
class QueueStats:
    pending: int
    due: int
    oldest_due_at: datetime | None
    next_due_at: datetime | None


@dataclass(frozen=True)
class FailedDelivery:
    """One delivery that will not be sent, for the admin Home tab. Codes only, no text."""

    id: int
    kind: str
    recipient: str
    last_error: str | None
    attempts: int
    due_at: datetime
    session_id: int | None


@dataclass(frozen=True)
class BatchProgress:
    batch_id: int
    kind: str
    total: int
    sent: int
    failed: int
    skipped: int  # skipped or cancelled: not owed any more
    admin_user_id: str | None
    progress_channel: str | None
    progress_ts: str | None
    finished_at: datetime | None

    @property
    def done(self) -> int:
        return self.sent + self.failed + self.skipped

    @property
    def complete(self) -> bool:
        return self.done >= self.total


class Outbox:
    """The deliveries table (the outbox) and its fan-out batches, reached as `uow.outbox`."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- what the services add, cancel and look up ---------------------------------------------

    async def add_unless_present(self, rows: list[dict]) -> int:
        """Add deliveries (rows of `bot.delivery.outbox.pending_delivery`) in one statement, skipping
        any whose dedupe key exists. How many were added."""
        if not rows:
            return 0
        statement = insert_unless_present(self.session, Delivery.__table__, ["dedupe_key"]).returning(Delivery.id)
        return len((await self.session.execute(statement, rows)).all())

    async def cancel_pending(self, *, session_id: int | None = None, kinds: tuple[str, ...] = (),
                             recipient: str | None = None, key_prefix: str | None = None) -> int:
        """Drop deliveries that are no longer owed (a session cancelled, a person left)."""
        statement = update(Delivery).where(Delivery.status == "pending")
        if session_id is not None:
            statement = statement.where(Delivery.session_id == session_id)
        if kinds:
            statement = statement.where(Delivery.kind.in_(kinds))
        if recipient is not None:
            statement = statement.where(Delivery.recipient == recipient)
        if key_prefix is not None:
            statement = statement.where(Delivery.dedupe_key.startswith(key_prefix, autoescape=True))
        result = await self.session.execute(statement.values(status="cancelled"))
        return result.rowcount or 0

    async def by_dedupe_keys(self, keys: Iterable[str]) -> dict[str, Delivery]:
        found = await self.session.scalars(select(Delivery).where(Delivery.dedupe_key.in_(list(keys))))
        return {row.dedupe_key: row for row in found}

    async def pending_to(self, recipient: str, *, session_id: int, kind: str) -> list[Delivery]:
        return list(await self.session.scalars(select(Delivery).where(
            Delivery.session_id == session_id, Delivery.kind == kind, Delivery.recipient == recipient,
            Delivery.status == "pending")))

    async def of_session(self, session_id: int) -> list[Delivery]:
        return list(await self.session.scalars(
            select(Delivery).where(Delivery.session_id == session_id).order_by(Delivery.id)))

    async def get(self, delivery_id: int) -> Delivery | None:
        return await self.session.get(Delivery, delivery_id)

    async def posted_for_session(self, session_id: int, kinds: tuple[str, ...]) -> list[Delivery]:
        """The session's messages of these kinds that are out in Slack (they have a ts), to update."""
        return list(await self.session.scalars(select(Delivery).where(
            Delivery.session_id == session_id, Delivery.kind.in_(kinds), Delivery.status == "sent",
            Delivery.slack_ts.is_not(None)).order_by(Delivery.id)))

    async def next_due_after(self, now: datetime) -> datetime | None:
        return await self.session.scalar(
            select(func.min(Delivery.due_at)).where(Delivery.status == "pending", Delivery.due_at > now))

    async def add_batch(self, batch: FanoutBatch) -> FanoutBatch:
        """A fan-out batch, flushed so its deliveries can point at its id."""
        self.session.add(batch)
        await self.session.flush()
        return batch

    async def batch(self, batch_id: int) -> FanoutBatch | None:
        return await self.session.get(FanoutBatch, batch_id)

    # --- claiming and recording (the dispatcher) ---------------------------------------------

    async def claim_due(self, *, owner: str, now: datetime, lease: timedelta, limit: int) -> list[Delivery]:
        """Claim up to `limit` due deliveries (oldest due first) for `owner` until now + lease.

        A row taken over from an expired lease comes back with `outcome_unknown` set: its previous
        owner may have sent it, so the caller reconciles with Slack before sending.
        """
        if limit <= 0:
            return []
        due_ids = (
            select(Delivery.id)
            .where(_claimable(now))
            .order_by(Delivery.due_at, Delivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        statement = (
            update(Delivery)
            .where(Delivery.id.in_(due_ids.scalar_subquery()))
            .values(
                status="claimed",
                lease_owner=owner,
                lease_until=now + lease,
                attempts=Delivery.attempts + 1,
                outcome_unknown=case((Delivery.status == "claimed", True), else_=Delivery.outcome_unknown),
            )
            .returning(Delivery)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
        rows = list(await self.session.scalars(statement))
        rows.sort(key=lambda row: (row.due_at, row.id))
        return rows

    async def release_own_leases(self, *, owner: str) -> int:
        """At start: rows a previous run of this same owner id held are claimable at once.

        Their outcome is unknown (the process died somewhere between claim and record), so they are
        reconciled before any resend. Owner ids must be unique among live processes.
        """
        statement = (
            update(Delivery)
            .where(Delivery.status == "claimed", Delivery.lease_owner == owner)
            .values(status="pending", lease_owner=None, lease_until=None, outcome_unknown=True)
        )
        result = await self.session.execute(statement)
        return result.rowcount or 0

    async def _conditional(self, delivery_id: int, owner: str, **values) -> bool:
        statement = update(Delivery).where(_held(delivery_id, owner)).values(**values)
        result = await self.session.execute(statement)
        return bool(result.rowcount)

    async def extend_lease(self, delivery_id: int, *, owner: str, until: datetime) -> bool:
        return await self._conditional(delivery_id, owner, lease_until=until)

    async def mark_sent(self, delivery_id: int, *, owner: str, channel: str | None, ts: str | None,
                        now: datetime) -> bool:
        return await self._conditional(delivery_id, owner, status="sent", sent_at=now, slack_channel=channel,
                                       slack_ts=ts, lease_owner=None, lease_until=None, outcome_unknown=False,
                                       last_error=None)

    async def mark_posted(self, delivery_id: int, *, owner: str, channel: str, ts: str) -> bool:
        """The message is out but the delivery is not finished (its file is still to upload)."""
        return await self._conditional(delivery_id, owner, slack_channel=channel, slack_ts=ts)

    async def mark_retry(self, delivery_id: int, *, owner: str, due_at: datetime, error: str | None,
                         outcome_unknown: bool) -> bool:
        """Back to pending, due again at `due_at` (backoff or Retry-After)."""
        return await self._conditional(delivery_id, owner, status="pending", due_at=due_at, lease_owner=None,
                                       lease_until=None, outcome_unknown=outcome_unknown,
                                       last_error=error[:200] if error else None)

    async def mark_failed(self, delivery_id: int, *, owner: str, error: str) -> bool:
        """Permanently failed: `error` is a Slack error code (never message text)."""
        return await self._conditional(delivery_id, owner, status="failed", lease_owner=None, lease_until=None,
                                       outcome_unknown=False, last_error=error[:200])

    async def mark_skipped(self, delivery_id: int, *, owner: str, reason: str) -> bool:
        """No longer owed (renderer said so) or too late (past its grace period)."""
        return await self._conditional(delivery_id, owner, status="skipped", lease_owner=None, lease_until=None,
                                       outcome_unknown=False, last_error=reason[:200])

    # --- looking at the queue ----------------------------------------------------------------

    async def queue_stats(self, now: datetime) -> QueueStats:
        """Counts for metrics and for deciding when to wake next. Claimed rows count as pending."""
        open_rows = Delivery.status.in_(("pending", "claimed"))
        due_now = _claimable(now)
        row = (await self.session.execute(
            select(
                func.count().filter(open_rows),
                func.count().filter(due_now),
                func.min(Delivery.due_at).filter(and_(Delivery.status == "pending", Delivery.due_at <= now)),
                func.min(Delivery.due_at).filter(Delivery.status == "pending"),
            ).select_from(Delivery)
        )).one()
        next_due = row[3]
        next_lease = await self.session.scalar(select(func.min(Delivery.lease_until)).where(Delivery.status == "claimed"))
        if next_lease is not None and (next_due is None or next_lease < next_due):
            next_due = next_lease
        return QueueStats(pending=row[0], due=row[1], oldest_due_at=row[2], next_due_at=next_due)

    async def count_due(self, now: datetime) -> int:
        return int(await self.session.scalar(select(func.count()).select_from(Delivery).where(_claimable(now))) or 0)

    async def failed_deliveries(self, *, limit: int = 50) -> list[FailedDelivery]:
        """The most recent permanently failed deliveries (newest first)."""
        rows = await self.session.scalars(
            select(Delivery).where(Delivery.status == "failed").order_by(Delivery.id.desc()).limit(limit)
        )
        return [FailedDelivery(row.id, row.kind, row.recipient, row.last_error, row.attempts, row.due_at,
                               row.session_id) for row in rows]

    async def count_failed(self) -> int:
        return int(await self.session.scalar(
            select(func.count()).select_from(Delivery).where(Delivery.status == "failed")) or 0)

    async def sent_without_follow_up(self, kind: str, suffix: str, follow_up_suffix: str) -> list[Delivery]:
        """Sent deliveries of `kind` whose dedupe key ends in `suffix` and whose follow-up (the same
        key ending in `follow_up_suffix`) is not queued yet: a message that must come after another."""
        follow_up = Delivery.__table__.alias("follow_up")
        wanted = func.substr(Delivery.dedupe_key, 1, func.length(Delivery.dedupe_key) - len(suffix)) + follow_up_suffix
        query = (select(Delivery)
                 .where(Delivery.kind == kind, Delivery.status == "sent",
                        Delivery.dedupe_key.endswith(suffix, autoescape=True),
                        ~select(follow_up.c.id).where(follow_up.c.dedupe_key == wanted).exists())
                 .order_by(Delivery.id))
        return list(await self.session.scalars(query))

    # --- fan-out batches ---------------------------------------------------------------------

    async def batch_progress(self, batch_id: int) -> BatchProgress | None:
        batch = await self.session.get(FanoutBatch, batch_id)
        if batch is None:
            return None
        counts = dict((await self.session.execute(
            select(Delivery.status, func.count()).where(Delivery.batch_id == batch_id).group_by(Delivery.status)
        )).all())
        return BatchProgress(
            batch_id=batch.id, kind=batch.kind, total=batch.total, sent=counts.get("sent", 0),
            failed=counts.get("failed", 0), skipped=counts.get("skipped", 0) + counts.get("cancelled", 0),
            admin_user_id=batch.admin_user_id, progress_channel=batch.progress_channel,
            progress_ts=batch.progress_ts, finished_at=batch.finished_at,
        )

    async def finish_batch(self, batch_id: int, now: datetime) -> bool:
        """Stamp the batch finished; True for the one caller that did it (it posts the final update)."""
        result = await self.session.execute(
            update(FanoutBatch).where(FanoutBatch.id == batch_id, FanoutBatch.finished_at.is_(None))
            .values(finished_at=now)
        )
        return bool(result.rowcount)
