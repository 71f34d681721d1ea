"""Repository for the lecturer's requests (事例作成の依頼): ciphertext in, ciphertext out."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import CaseRequest
from storage.repositories import Repository


class CaseRequests(Repository[CaseRequest]):
    async def by_code(self, code: str, *, lock: bool = False) -> CaseRequest | None:
        """Q12 → the request; locked on PostgreSQL (two presses of one button take turns)."""
        if not code or code[0].upper() != "Q" or not code[1:].isdigit() or len(code) > 10:
            return None
        query = select(CaseRequest).where(CaseRequest.id == int(code[1:]))
        if lock:
            query = query.with_for_update()
        return await self.session.scalar(query)

    async def for_case(self, case_id: int) -> CaseRequest | None:
        return await self.session.scalar(select(CaseRequest).where(CaseRequest.case_id == case_id))

    async def all(self) -> list[CaseRequest]:
        return list(await self.session.scalars(select(CaseRequest).order_by(CaseRequest.id)))

    async def to_lecturer(self, user_id: str) -> list[CaseRequest]:
        query = select(CaseRequest).where(CaseRequest.lecturer_user_id == user_id).order_by(CaseRequest.id)
        return list(await self.session.scalars(query))
