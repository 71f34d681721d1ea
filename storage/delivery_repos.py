"""Deliveries as the services see them: looked up by key, by session, by person; fan-out batches.

(The dispatcher's claiming, leasing and marking are in storage/outbox_repo.py.)
"""

from __future__ import annotations

from datetime import datetime
from typing import Iterable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Delivery, FanoutBatch


class Deliveries:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

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
