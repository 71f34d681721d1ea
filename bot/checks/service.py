"""The personal-data guard of study-group channels: a message posted there is checked, and its
poster alone is told what was found, with a proposed rewrite. Nothing of the message is stored or
logged: only whether a channel's guard is on, which its members may switch."""

from __future__ import annotations

from datetime import date, datetime

from bot.core.pseudonymisation import propose_text
from bot.people.results import Actor
from bot.core.refusal import Refusal
from bot.checks.results import GuardNote
from storage.models import StudyGroup
from storage.uow import UnitOfWork

# Longer messages are not checked live (a file belongs in /jirei check): the guard stays cheap.
MAX_GUARDED_CHARS = 20_000


async def is_guarded(uow: UnitOfWork, channel_id: str) -> bool:
    """A study group's channel, active, whose guard is on."""
    group = await uow.study_groups.by_channel(channel_id)
    return group is not None and group.status == "active" and group.guard_off_at is None


def check_message(text: str, today: date, lang: str) -> GuardNote | None:
    """The note for the poster, or None when nothing was found (CPU work: run it off the loop)."""
    if not text.strip() or len(text) > MAX_GUARDED_CHARS:
        return None
    proposal = propose_text(text, today, lang)
    if not proposal.changed and not proposal.to_check:
        return None
    return GuardNote(tuple(dict.fromkeys(r.kind for r in proposal.replacements)), proposal)


async def set_guard(uow: UnitOfWork, now: datetime, actor: Actor, channel_id: str, on: bool) -> StudyGroup:
    """A member of the channel's study group switches its guard on or off (recorded)."""
    group = await uow.study_groups.by_channel(channel_id) if channel_id else None
    if group is None:
        raise Refusal("guard.error.not_a_group_channel")
    member = await uow.study_groups.member(group.id, actor.user_id)
    if member is None or member.status != "accepted":
        await uow.audit.record(now, actor.user_id, "guard.set", "refused", target=group.code)
        raise Refusal("guard.error.not_a_member")
    group.guard_off_at = None if on else now
    await uow.audit.record(now, actor.user_id, "guard.set", "ok", target=group.code, on=on)
    return group
