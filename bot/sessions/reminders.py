"""Session reminders: scheduled as outbox deliveries, moved with the session, dropped with it.

One delivery per (session, start time, offset, person). The dedupe key carries the session's start
time, so a moved session gets new keys (its old reminders are cancelled, already-sent ones do
not block the new ones) while scheduling twice for the same start is a no-op:

    reminder:S12:1440:U0123@20270515T0500Z

Each reminder has a grace period (a third of its lead time, at most 12 hours): one that could
not go out in time because the bot was down is skipped by the dispatcher, not sent late.
Its renderer (bot/sessions/messages.py) re-checks everything at send time (still confirmed? session
still on, same time?).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bot.delivery import outbox
from bot.delivery.kinds import DeliveryKind
from storage.models import CaseSession, Delivery
from storage.uow import UnitOfWork

DEFAULT_OFFSETS_MINUTES = (7 * 24 * 60, 24 * 60, 60)
ACTIVE_SESSION_STATUSES = ("open", "confirmed")
MAX_GRACE_SECONDS = 12 * 3600


def grace_seconds_for(offset_minutes: int) -> int:
    """How late a reminder may still go out: a third of its lead time (1 h → 20 min), at most 12 h."""
    return int(min(offset_minutes * 60 / 3, MAX_GRACE_SECONDS))


def utc(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc)


def reminder_key(session_id: int, starts_at: datetime, offset_minutes: int, user_id: str) -> str:
    return f"reminder:S{session_id}:{offset_minutes}:{user_id}@{utc(starts_at):%Y%m%dT%H%MZ}"


def offsets_of(session: CaseSession) -> list[int]:
    offsets = session.reminder_offsets_minutes or list(DEFAULT_OFFSETS_MINUTES)
    return sorted({int(m) for m in offsets if int(m) > 0}, reverse=True)


async def _lecturer_of(uow: UnitOfWork, session: CaseSession) -> str | None:
    if session.case_id is None:
        return None
    case = await uow.cases.get(session.case_id)
    return case.lecturer_user_id if case else None


async def schedule_person_reminders(uow: UnitOfWork, session: CaseSession, user_id: str, role: str,
                                    now: datetime) -> int:
    """One reminder per offset still in the future for `user_id` in `role`. Returns how many were added.

    `role` is participant, facilitator or lecturer. Safe to call again: existing reminders stay,
    and a person who left and came back gets their cancelled reminders back.
    """
    await uow.flush()  # a session created in this unit of work needs its id and defaults
    if session.status not in ACTIVE_SESSION_STATUSES:
        return 0
    owed = [(offset, session.starts_at - timedelta(minutes=offset)) for offset in offsets_of(session)]
    owed = [(offset, due_at, reminder_key(session.id, session.starts_at, offset, user_id))
            for offset, due_at in owed if due_at > now]
    if not owed:
        return 0
    existing = await uow.outbox.by_dedupe_keys(key for *_, key in owed)
    revived, new = 0, []
    for offset, due_at, key in owed:
        payload = {"session_id": session.id, "role": role, "offset_minutes": offset,
                   "starts_at": utc(session.starts_at).isoformat()}
        if key not in existing:
            new.append(outbox.pending_delivery(kind=DeliveryKind.SESSION_REMINDER, recipient=user_id, due_at=due_at,
                                               dedupe_key=key, now=now, payload=payload, session_id=session.id,
                                               grace_seconds=grace_seconds_for(offset)))
        elif _revive(existing[key], due_at=due_at, payload=payload, grace_seconds=grace_seconds_for(offset)):
            revived += 1
    # One INSERT for all of them: a join runs this while it holds the session's row lock.
    return revived + await uow.outbox.add_unless_present(new)


def _revive(existing: Delivery, *, due_at: datetime, payload: dict, grace_seconds: int) -> bool:
    if existing.status != "cancelled":
        return False  # pending, in flight or already sent for this very start time
    existing.status, existing.due_at, existing.payload = "pending", due_at, payload
    existing.grace_seconds, existing.attempts, existing.last_error = grace_seconds, 0, None
    existing.outcome_unknown = False
    return True


async def schedule_session_reminders(uow: UnitOfWork, session: CaseSession, now: datetime) -> int:
    """Reminders for the session's facilitator and lecturer (participants get theirs on confirmation)."""
    added = 0
    if session.facilitator_user_id:
        added += await schedule_person_reminders(uow, session, session.facilitator_user_id, "facilitator", now)
    lecturer = await _lecturer_of(uow, session)
    if lecturer:
        added += await schedule_person_reminders(uow, session, lecturer, "lecturer", now)
    return added


async def reschedule_session(uow: UnitOfWork, session: CaseSession, now: datetime) -> int:
    """The session moved (its `starts_at` already changed): cancel pending reminders, schedule anew.

    Confirmed participants, the facilitator and the lecturer get reminders for the new time;
    an offset already sent for the old time is sent again for the new one.
    """
    await cancel_session(uow, session.id)
    added = await schedule_session_reminders(uow, session, now)
    for registration in await uow.registrations.for_session(session.id, "confirmed"):
        added += await schedule_person_reminders(uow, session, registration.user_id, "participant", now)
    return added


async def cancel_session(uow: UnitOfWork, session_id: int) -> int:
    """Drop every pending reminder of a session (called off, or about to be rescheduled)."""
    return await uow.outbox.cancel_pending(session_id=session_id, kinds=(DeliveryKind.SESSION_REMINDER,))


async def cancel_person(uow: UnitOfWork, session_id: int, user_id: str) -> int:
    """Someone left: drop their participant reminders (a facilitator's own reminders stay)."""
    rows = await uow.outbox.pending_to(user_id, session_id=session_id, kind=DeliveryKind.SESSION_REMINDER)
    cancelled = 0
    for row in rows:
        if (row.payload or {}).get("role", "participant") == "participant":
            row.status = "cancelled"
            cancelled += 1
    return cancelled
