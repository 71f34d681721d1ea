"""Repository for case materials (ciphertext in, ciphertext out; the service decrypts)."""

from __future__ import annotations

from sqlalchemy import func, select

from storage.models import Material
from storage.repositories import Repository


class Materials(Repository[Material]):
    async def get(self, material_id: int) -> Material | None:
        return await self.session.get(Material, material_id)

    async def next_version(self, case_id: int, kind: str) -> int:
        current = await self.session.scalar(
            select(func.max(Material.version)).where(Material.case_id == case_id, Material.kind == kind))
        return (current or 0) + 1

    async def latest(self, case_id: int, kind: str) -> Material | None:
        query = (select(Material).where(Material.case_id == case_id, Material.kind == kind,
                                        Material.deleted_at.is_(None))
                 .order_by(Material.version.desc()).limit(1))
        return await self.session.scalar(query)

    async def for_case(self, case_id: int) -> list[Material]:
        query = select(Material).where(Material.case_id == case_id).order_by(Material.kind, Material.version)
        return list(await self.session.scalars(query))
