"""Cases: what a session is held on. Created by an admin (`admin case new`, a plan, an approved
lecturer's request), so the lecturer named is given the lecturer's role."""

from __future__ import annotations

from datetime import datetime

from bot.people.results import Actor
from bot.people.service import require_admin
from storage.models import Case
from storage.uow import UnitOfWork


async def create_case(uow: UnitOfWork, now: datetime, actor: Actor, *, title: str, theme: str,
                      lecturer: str | None, summary: str | None = None) -> Case:
    await require_admin(uow, now, actor, "case.create")
    case = await uow.cases.add(Case(title=title, theme=theme, lecturer_user_id=lecturer, summary=summary,
                                    created_by=actor.user_id, created_at=now))
    if lecturer:
        await uow.roles.grant(lecturer, "lecturer", "", actor.user_id, now)
    await uow.audit.record(now, actor.user_id, "case.create", "ok", target=case.code, theme=theme)
    return case
