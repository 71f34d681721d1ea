"""Cases and sessions: planning, registration with capacity and waitlist, the deadline decision,
groups and attendance (DESIGN §2 items 2–4 and 7). No Slack, no SQL: a unit of work, `now`
and plain values in; plain results out. Every message owed is enqueued in the same transaction.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core import anonymisation
from bot.core import grouping
from bot.core.exports import local_iso
from bot.core import lottery
from bot.delivery import outbox
from bot.core.i18n import t
from bot.delivery.kinds import DeliveryKind
from bot.materials import service as materials
from bot.sessions import changes as notices, reminders
from bot.people.results import Actor
from bot.people.service import require_admin
from bot.core.refusal import Refusal
from bot.core.session_spec import SessionSpec, SpecError
from bot.sessions.results import (EditResult, CancelResult, AnnounceResult, SessionSummary, SessionPage,
                                  JoinResult, LeaveResult, Decision, AttendResult, RosterLine, Roster,
                                  UndoResult, MessageResult)
from storage.models import Case, CaseSession, Coordinator, FanoutBatch, Registration
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

SUBSTITUTE_DELAY = timedelta(days=7)  # "one to two weeks later at the same hour"
SUBSTITUTE_DEADLINE_BEFORE = timedelta(days=2)
INVITATION_GRACE_SECONDS = 24 * 3600


# --- planning ------------------------------------------------------------------------------


async def check_summary(summary: str | None, lang: str) -> None:
    """A case's summary goes to the portal with it: personal data in it is refused, naming its kinds
    (the check is CPU work: it runs in a worker thread, before any transaction is opened)."""
    if not summary:
        return
    findings = await asyncio.to_thread(anonymisation.check_text, summary, lang)
    if findings:
        kinds = ("、" if lang == "ja" else ", ").join(
            dict.fromkeys(t(f"anonymisation.kind.{f.kind}", lang) for f in findings))
        raise Refusal("sessions.error.summary_personal_data", kinds=kinds)


class DuplicateSession(SpecError):
    """The same case at the same bureau and start already exists (not cancelled): a warning the
    creator may override."""

    def __init__(self, existing: str) -> None:
        super().__init__("start", "sessions.duplicate_warning", code=existing)
        self.existing = existing


async def create_session(uow: UnitOfWork, now: datetime, actor: Actor, spec: SessionSpec, *,
                         allow_duplicate: bool = True) -> CaseSession:
    case = None
    if spec.kind == "official":
        if not actor.can_manage_bureau(spec.bureau):
            await uow.audit.record(now, actor.user_id, "session.create", "refused", bureau=spec.bureau)
            raise SpecError("bureau", "auth.other_bureau")
        case = await uow.cases.by_code(spec.case or "")
        if case is None:
            raise SpecError("case", "sessions.error.unknown_case", code=spec.case or "")
    spec.check(now)
    if not allow_duplicate and case is not None:
        twin = next((s for s in await uow.sessions.for_case(case.id)
                     if s.bureau == spec.bureau and s.starts_at == spec.start and s.status != "cancelled"), None)
        if twin is not None:
            raise DuplicateSession(twin.code)
    session = await uow.sessions.add(CaseSession(
        kind=spec.kind, case_id=case.id if case else None, title=spec.title, theme=spec.theme or (case.theme if case else None),
        bureau=spec.bureau, starts_at=spec.start, minutes=spec.minutes, capacity=spec.capacity,
        min_participants=spec.min_participants, deadline_at=spec.deadline, release_at=spec.release,
        format=spec.format, place=spec.place, facilitator_user_id=spec.facilitator, online_url=spec.url,
        status="open", lottery=spec.lottery, study_group_id=spec.study_group_id,
        created_by=actor.user_id, created_at=now,
    ))
    await reminders.schedule_session_reminders(uow, session, now)
    await uow.audit.record(now, actor.user_id, "session.create", "ok", target=session.code, bureau=spec.bureau,
                           kind=spec.kind)
    return session


# What the proposer of a self-run session may do with it (its bureau is "online": nobody's bureau).
PROPOSER_ACTIONS = ("session.edit", "session.cancel", "session.message")


async def managed_session(uow: UnitOfWork, now: datetime, actor: Actor, code: str, action: str,
                          *, lock: bool = False) -> CaseSession:
    """The session, if the actor may manage it (admins; bureau staff of its bureau; its facilitator)."""
    session = await uow.sessions.by_code(code, lock=lock)
    if session is None:
        raise Refusal("sessions.error.not_found", code=code)
    allowed = actor.can_manage_bureau(session.bureau) or (
        session.facilitator_user_id == actor.user_id and action in ("session.roster", "session.attend")) or (
        # a self-run session is its proposer's to change or call off
        session.kind == "self_run" and session.created_by == actor.user_id and action in PROPOSER_ACTIONS)
    if not allowed:
        await uow.audit.record(now, actor.user_id, action, "refused", target=session.code)
        if session.kind == "self_run" and action in PROPOSER_ACTIONS:
            raise Refusal("sessions.error.proposer_only", code=session.code)
        raise Refusal("auth.other_bureau")
    return session


# --- editing and cancelling -------------------------------------------------------------------

# SessionSpec field -> CaseSession attribute, for what `admin session edit` may change.
EDITABLE = {"start": "starts_at", "minutes": "minutes", "capacity": "capacity", "min_participants": "min_participants",
            "deadline": "deadline_at", "release": "release_at", "format": "format",
            "facilitator": "facilitator_user_id", "url": "online_url", "place": "place"}
DECIDED_AT_DEADLINE = ("deadline", "min_participants")
LIVE_STATUSES = ("open", "confirmed")


def _spec_of(session: CaseSession) -> SessionSpec:
    """The stored session as a spec (not validated again: it was held to the rules when written)."""
    return SessionSpec.model_construct(case=None, bureau=session.bureau, start=session.starts_at, minutes=session.minutes,
                       capacity=session.capacity, min_participants=session.min_participants, deadline=session.deadline_at,
                       release=session.release_at, format=session.format, facilitator=session.facilitator_user_id,
                       url=session.online_url, lottery=session.lottery, kind=session.kind, title=session.title, theme=session.theme,
                       place=session.place)


async def edit_session(uow: UnitOfWork, now: datetime, actor: Actor, code: str, changes: dict) -> EditResult:
    """`admin session edit`: change what may change, keep every rule of a new session, move the
    reminders with the session, fill new seats from the waitlist, tell the registrants."""
    session = await managed_session(uow, now, actor, code, "session.edit", lock=True)
    if session.status not in LIVE_STATUSES:
        raise Refusal("sessions.error.not_editable", code=session.code)
    decided = session.status == "confirmed"
    current = _spec_of(session)
    wanted = current.model_copy(update={k: v for k, v in changes.items() if k in EDITABLE})
    changed = [k for k in EDITABLE if getattr(wanted, k) != getattr(current, k)]
    if not changed:
        return EditResult(session, [], 0)
    if decided and set(changed) & set(DECIDED_AT_DEADLINE):
        raise Refusal("sessions.error.decided_already", code=session.code)
    wanted.check(now, decided=decided)
    taken = await uow.registrations.count(session.id, "confirmed", "attended")
    if wanted.capacity < taken:
        raise Refusal("sessions.error.capacity_below_taken", code=session.code, taken=taken)
    for field_name in changed:
        setattr(session, EDITABLE[field_name], getattr(wanted, field_name))
    await uow.flush()
    if {"start", "minutes", "facilitator"} & set(changed):
        await reminders.reschedule_session(uow, session, now)
    if "capacity" in changed:
        while await promote_next(uow, now, session):
            pass
    told = await notices.tell_registrants_of_edit(uow, now, session, changed,
                                                  {k: getattr(current, k) for k in changed},
                                                  {k: getattr(wanted, k) for k in changed})
    await uow.audit.record(now, actor.user_id, "session.edit", "ok", target=session.code, changed=changed, told=told)
    return EditResult(session, changed, told)


async def cancel_session(uow: UnitOfWork, now: datetime, actor: Actor, code: str, reason: str | None,
                         secretariat: frozenset[str] = frozenset()) -> CancelResult:
    """`admin session cancel`: the session is off; its registrants, the secretariat, the bureau's
    staff, its facilitator and lecturer are told; nothing more is sent for it."""
    session = await managed_session(uow, now, actor, code, "session.cancel", lock=True)
    if session.status not in LIVE_STATUSES:
        raise Refusal("sessions.error.not_editable", code=session.code)
    registrants = await uow.registrations.for_session(session.id, "confirmed", "waitlisted", "applied")
    session.status, session.decided_at = "cancelled", now
    await reminders.cancel_session(uow, session.id)
    await uow.outbox.cancel_pending(session_id=session.id)
    # Free text by the staff: kept only as ciphertext, like every other free text.
    facts = {"reason_encrypted": uow.cipher.encrypt(reason.encode()).decode()} if reason else {}
    for reg in registrants:
        reg.status, reg.updated_at = "cancelled", now
        await outbox.enqueue(uow, kind=DeliveryKind.SESSION_CANCELLED, recipient=reg.user_id, due_at=now,
                             dedupe_key=f"cancelled:{session.code}:{reg.user_id}", now=now,
                             payload={"session_id": session.id, "by_staff": True, **facts}, session_id=session.id)
    await tell_staff(uow, now, session, "cancelled", secretariat, registrants=len(registrants), **facts)
    await notices.refresh_posts(uow, now, session, notices.change_id())  # the announcement says 中止 in place
    await uow.audit.record(now, actor.user_id, "session.cancel", "ok", target=session.code, registrants=len(registrants),
                           by="staff")
    return CancelResult(session, len(registrants))


async def edit_case(uow: UnitOfWork, now: datetime, actor: Actor, code: str, changes: dict) -> Case:
    """`admin case edit`: title, theme, lecturer, summary. A new lecturer gets the role and the reminders."""
    await require_admin(uow, now, actor, "case.edit", code)
    case = await uow.cases.by_code(code)
    if case is None:
        raise Refusal("sessions.error.unknown_case", code=code)
    fields = {"title": "title", "theme": "theme", "lecturer": "lecturer_user_id", "summary": "summary"}
    changed = [k for k in fields if k in changes and changes[k] != getattr(case, fields[k])]
    for key in changed:
        setattr(case, fields[key], changes[key])
    await uow.flush()
    if "lecturer" in changed:
        if case.lecturer_user_id:
            await uow.roles.grant(case.lecturer_user_id, "lecturer", "", actor.user_id, now)
        for session in await uow.sessions.for_case(case.id):
            if session.status in LIVE_STATUSES:
                await reminders.reschedule_session(uow, session, now)
    if "theme" in changed:
        for session in await uow.sessions.for_case(case.id):
            session.theme = case.theme
    await uow.library.mark_stale(case.id)  # the library shows the case as it is now
    await uow.audit.record(now, actor.user_id, "case.edit", "ok", target=case.code, changed=changed)
    return case


# --- announcing ------------------------------------------------------------------------------


async def announce(uow: UnitOfWork, now: datetime, actor: Actor, code: str,
                   announce_channel: str | None) -> AnnounceResult:

    session = await managed_session(uow, now, actor, code, "session.announce")
    if session.status != "open":
        raise Refusal("sessions.error.not_open", code=session.code)
    people = await not_yet_invited(uow, session, await eligible_invitees(uow, session))
    batch = None
    if people:
        batch = FanoutBatch(kind=DeliveryKind.SESSION_INVITATION, total=len(people), admin_user_id=actor.user_id,
                            created_at=now)
        await uow.outbox.add_batch(batch)
    for person in people:
        await outbox.enqueue(uow, kind=DeliveryKind.SESSION_INVITATION, recipient=person.slack_user_id, due_at=now,
                             dedupe_key=notices.invitation_key(session.code, person.slack_user_id), now=now,
                             payload={"session_id": session.id}, session_id=session.id, batch_id=batch.id,
                             grace_seconds=INVITATION_GRACE_SECONDS)
    posted = False
    if announce_channel:
        posted = await outbox.enqueue(uow, kind=DeliveryKind.SESSION_ANNOUNCEMENT, recipient=announce_channel, due_at=now,
                                      dedupe_key=notices.announcement_key(session.code), now=now,
                                      payload={"session_id": session.id}, session_id=session.id)
    again = session.announced_at is not None
    session.announced_at = session.announced_at or now
    await uow.audit.record(now, actor.user_id, "session.announce", "ok", target=session.code, invited=len(people),
                           again=again)
    return AnnounceResult(session, len(people), posted, batch.id if batch else None, again=again)


async def not_yet_invited(uow: UnitOfWork, session: CaseSession, people: list[Coordinator]) -> list[Coordinator]:
    """Announcing again reaches only those with no invitation yet and no registration (people who
    joined the region since, or finished their profile)."""
    keys = [notices.invitation_key(session.code, p.slack_user_id) for p in people]
    invited = await uow.outbox.by_dedupe_keys(keys) if keys else {}
    registered = {r.user_id for r in await uow.registrations.for_session(session.id) if r.status != "cancelled"}
    return [p for p, key in zip(people, keys) if key not in invited and p.slack_user_id not in registered]


async def eligible_invitees(uow: UnitOfWork, session: CaseSession) -> list[Coordinator]:
    """Coordinators of the session's region (everyone, for an online session), profile complete.
    A substitute 意見交換会 keeps to its bureau's region, unless the region is too small for it."""
    if session.substitute_of_id is not None:
        return await substitute_invitees(uow, session)
    if session.bureau == "online" or session.format == "online" and session.kind != "official":
        people = await uow.coordinators.active()
    else:
        people = await uow.coordinators.in_bureau(session.bureau)
    return [p for p in people if p.profile_complete]


async def substitute_invitees(uow: UnitOfWork, substitute: CaseSession) -> list[Coordinator]:
    return (await _substitute_reach(uow, substitute))[0]


async def _substitute_reach(uow: UnitOfWork, substitute: CaseSession) -> tuple[list[Coordinator], bool]:
    """Who is offered a substitute 意見交換会: every coordinator of the called-off session's region
    (profile complete); the whole country (True) when the region has fewer than the called-off
    session's minimum, since an exchange among two or three people of one region rarely happens."""
    original = await uow.sessions.get(substitute.substitute_of_id) if substitute.substitute_of_id else None
    enough = max(original.min_participants if original else 0, substitute.min_participants)
    region = [p for p in await uow.coordinators.in_bureau(substitute.bureau) if p.profile_complete]
    if len(region) >= enough:
        return region, False
    return [p for p in await uow.coordinators.active() if p.profile_complete], True


async def _offer_substitute(uow: UnitOfWork, now: datetime, substitute: CaseSession, told: set[str],
                            announce_channel: str | None) -> tuple[int, bool]:
    """Announce a substitute like any session: an invitation DM to each coordinator it is for
    (those already told in their cancellation notice are left out) and the announcement post.
    How many were invited, and whether nationwide."""
    invited = 0
    people, nationwide = await _substitute_reach(uow, substitute)
    for person in people:
        if person.slack_user_id in told:
            continue
        invited += await outbox.enqueue(uow, kind=DeliveryKind.SESSION_INVITATION, recipient=person.slack_user_id, due_at=now,
                                        dedupe_key=notices.invitation_key(substitute.code, person.slack_user_id), now=now,
                                        payload={"session_id": substitute.id}, session_id=substitute.id,
                                        grace_seconds=INVITATION_GRACE_SECONDS)
    if announce_channel:
        await outbox.enqueue(uow, kind=DeliveryKind.SESSION_ANNOUNCEMENT, recipient=announce_channel, due_at=now,
                             dedupe_key=notices.announcement_key(substitute.code), now=now,
                             payload={"session_id": substitute.id}, session_id=substitute.id)
    return invited, nationwide


async def message_registrants(uow: UnitOfWork, now: datetime, actor: Actor, code: str, text: str) -> MessageResult:
    """`admin message S1 …`: the secretariat, the bureau's staff or a self-run session's proposer
    writes to everyone registered for it. The count answered is the count enqueued."""
    session = await managed_session(uow, now, actor, code, "session.message")
    if session.status not in ("open", "confirmed", "held"):
        raise Refusal("sessions.error.not_editable", code=session.code)
    sent = await notices.message_registrants(uow, now, session, actor.user_id, text)
    await uow.audit.record(now, actor.user_id, "session.message", "ok", target=session.code, sent=sent)
    return MessageResult(session, sent)


# --- listing -----------------------------------------------------------------------------------


async def open_sessions(uow: UnitOfWork, actor: Actor, limit: int) -> SessionPage:
    """The first `limit` open sessions, the person's own region first, then by start time (a fixed
    number of queries, however many sessions there are), and how many are open in all."""
    sessions, total = await uow.sessions.open_first(actor.bureau, limit)
    return SessionPage(await summarise_many(uow, sessions, actor.user_id), total)


async def summarise_many(uow: UnitOfWork, sessions: list[CaseSession], user_id: str | None, *,
                         mine: dict[int, Registration] | None = None) -> list[SessionSummary]:
    """`mine`: the person's registrations by session id, when the caller has read them already."""
    ids = [session.id for session in sessions]
    counts = await uow.registrations.status_counts(ids)
    cases = await uow.cases.many(sorted({session.case_id for session in sessions if session.case_id}))
    if mine is None:
        mine = await uow.registrations.of_user_in(user_id, ids) if user_id else {}
    summaries = []
    for session in sessions:
        n = counts.get(session.id, {})
        summaries.append(SessionSummary(
            session=session, case=cases.get(session.case_id) if session.case_id else None,
            confirmed=n.get("confirmed", 0) + n.get("attended", 0),
            waitlisted=n.get("waitlisted", 0) + n.get("applied", 0),
            my_status=mine[session.id].status if session.id in mine else None,
        ))
    return summaries


async def summarise(uow: UnitOfWork, session: CaseSession, user_id: str | None) -> SessionSummary:
    case = await uow.cases.get(session.case_id) if session.case_id else None
    mine = await uow.registrations.get(session.id, user_id) if user_id else None
    return SessionSummary(
        session=session, case=case,
        confirmed=await uow.registrations.count(session.id, "confirmed", "attended"),
        waitlisted=await uow.registrations.count(session.id, "waitlisted", "applied"),
        my_status=mine.status if mine else None,
    )


async def my_registrations(uow: UnitOfWork, actor: Actor) -> list[SessionSummary]:
    regs = [r for r in await uow.registrations.of_user(actor.user_id) if r.status != "cancelled"]
    found = await uow.sessions.many([r.session_id for r in regs])
    summaries = await summarise_many(uow, [found[r.session_id] for r in regs if r.session_id in found],
                                     actor.user_id, mine={r.session_id: r for r in regs})
    waiting = {r.session_id: r for r in regs if r.status == "waitlisted"}
    for summary in summaries:
        if summary.session.id in waiting:
            summary.my_position = await waitlist_position(uow, summary.session, waiting[summary.session.id])
    return summaries


# --- joining and leaving -------------------------------------------------------------------------


def held_elsewhere(session: CaseSession, home_bureau: str | None) -> bool:
    """A session people must travel to, in another bureau's region than the person's own."""
    return bool(home_bureau) and session.bureau != home_bureau and session.format != "online"


async def join(uow: UnitOfWork, now: datetime, actor: Actor, code: str, *, elsewhere_ok: bool = False) -> JoinResult:
    """Register for a session. One in another region (not online) is first answered with
    "elsewhere", so the person confirms they can travel there (`elsewhere_ok`)."""
    person = await uow.coordinators.get(actor.user_id)
    if person is None or not person.profile_complete:
        raise Refusal("sessions.error.needs_profile")
    if person.pledge_accepted_at is None:
        raise Refusal("sessions.error.needs_pledge")
    session = await uow.sessions.by_code(code, lock=True)
    if session is None or session.announced_at is None:  # invisible until announced
        raise Refusal("sessions.error.not_found", code=code)
    if session.status != "open" or now >= session.deadline_at and not (session.status == "confirmed"):
        if session.status == "confirmed" and now < session.starts_at:
            pass  # late joiners may still take a free seat or the waitlist of a confirmed session
        else:
            raise Refusal("sessions.error.closed", code=session.code)
    if session.status not in ("open", "confirmed"):
        raise Refusal("sessions.error.closed", code=session.code)
    existing = await uow.registrations.get(session.id, actor.user_id)
    if existing is not None and existing.status != "cancelled":
        position = await waitlist_position(uow, session, existing) if existing.status == "waitlisted" else None
        return JoinResult("already", session, position, existing.status)
    if held_elsewhere(session, person.bureau) and not elsewhere_ok:
        return JoinResult("elsewhere", session, home_bureau=person.bureau)
    if session.lottery and session.status == "open":
        status = "applied"
    else:
        taken = await uow.registrations.count(session.id, "confirmed", "attended")
        status = "confirmed" if taken < session.capacity else "waitlisted"
    if existing is None:
        reg = await uow.registrations.add(Registration(session_id=session.id, user_id=actor.user_id, status=status,
                                                       registered_at=now, updated_at=now))
    else:  # a returning person goes to the back of the queue
        existing.status, existing.registered_at, existing.updated_at, existing.group_no = status, now, now, None
        reg = existing
        await uow.flush()
    if status == "confirmed":
        if session.status == "confirmed":  # a late joiner goes into a group, so the introductions include them
            reg.group_no = await _smallest_group(uow, session)
        await after_confirmed(uow, now, session, actor.user_id)
    await notices.seats_changed(uow, now, session)
    await notices.roster_changed(uow, now, session, actor.user_id, "joined" if status == "confirmed" else "waitlisted")
    await uow.audit.record(now, actor.user_id, "session.join", "ok", target=session.code, status=status)
    position = await waitlist_position(uow, session, reg) if status == "waitlisted" else None
    return JoinResult(status, session, position, status)


async def waitlist_position(uow: UnitOfWork, session: CaseSession, reg: Registration) -> int:
    waiting = await uow.registrations.for_session(session.id, "waitlisted")
    return next((i for i, r in enumerate(waiting, 1) if r.id == reg.id), len(waiting))


async def after_confirmed(uow: UnitOfWork, now: datetime, session: CaseSession, user_id: str) -> None:
    """Everything owed to someone whose seat is confirmed: reminders, and material if released."""
    await reminders.schedule_person_reminders(uow, session, user_id, "participant", now)
    await materials.on_participant_confirmed(uow, now, session, user_id)


async def leave(uow: UnitOfWork, now: datetime, actor: Actor, code: str) -> LeaveResult:
    session = await uow.sessions.by_code(code, lock=True)
    if session is None:
        raise Refusal("sessions.error.not_found", code=code)
    reg = await uow.registrations.get(session.id, actor.user_id)
    if reg is None or reg.status in ("cancelled",):
        raise Refusal("sessions.error.not_registered", code=session.code)
    if session.status not in ("open", "confirmed") or now >= session.starts_at:
        raise Refusal("sessions.error.too_late_to_leave", code=session.code)
    previous = reg.status
    reg.status, reg.updated_at, reg.group_no = "cancelled", now, None
    await uow.flush()
    await reminders.cancel_person(uow, session.id, actor.user_id)
    promoted = None
    if previous == "confirmed":
        promoted = await promote_next(uow, now, session)
    await notices.seats_changed(uow, now, session)
    await notices.roster_changed(uow, now, session, actor.user_id, "left")
    await uow.audit.record(now, actor.user_id, "session.leave", "ok", target=session.code, status=previous)
    return LeaveResult(session, previous, promoted)


async def promote_next(uow: UnitOfWork, now: datetime, session: CaseSession) -> str | None:
    """Fill a freed seat from the waitlist, in registration order, and tell the person."""
    taken = await uow.registrations.count(session.id, "confirmed", "attended")
    if taken >= session.capacity:
        return None
    nxt = await uow.registrations.first_waitlisted(session.id)
    if nxt is None:
        return None
    nxt.status, nxt.updated_at = "confirmed", now
    if session.status == "confirmed":
        nxt.group_no = await _smallest_group(uow, session)
    await uow.flush()
    await after_confirmed(uow, now, session, nxt.user_id)
    await outbox.enqueue(uow, kind=DeliveryKind.WAITLIST_PROMOTED, recipient=nxt.user_id, due_at=now,
                         dedupe_key=f"promoted:{session.code}:{nxt.user_id}:{notices.change_id()}", now=now,
                         payload={"session_id": session.id}, session_id=session.id)
    await notices.roster_changed(uow, now, session, nxt.user_id, "promoted")
    await uow.audit.record(now, "system", "session.promote", "ok", target=session.code)
    return nxt.user_id


async def _smallest_group(uow: UnitOfWork, session: CaseSession) -> int | None:
    members = await uow.registrations.for_session(session.id, "confirmed", "attended")
    sizes: dict[int, int] = {}
    for reg in members:
        if reg.group_no is not None:
            sizes[reg.group_no] = sizes.get(reg.group_no, 0) + 1
    return min(sizes, key=lambda g: (sizes[g], g)) if sizes else None


# --- the deadline decision ---------------------------------------------------------------------


async def staff_to_tell(uow: UnitOfWork, session: CaseSession, secretariat: frozenset[str]) -> list[str]:
    """Who must hear what became of a session: the secretariat (JIREI_ADMINS and admin roles) and the
    bureau's staff; for a self-run session, its proposer, who runs it."""
    if session.kind == "self_run":
        return [session.created_by]
    people = set(secretariat) | set(await uow.roles.holders("admin")) | set(await uow.roles.staff_of(session.bureau))
    return sorted(people)


async def _facilitator_and_lecturer(uow: UnitOfWork, session: CaseSession) -> set[str]:
    case = await uow.cases.get(session.case_id) if session.case_id else None
    return {user for user in (session.facilitator_user_id, case.lecturer_user_id if case else None) if user}


async def tell_staff(uow: UnitOfWork, now: datetime, session: CaseSession, outcome: str, secretariat: frozenset[str],
                     **facts: object) -> None:
    """A notice of the session's outcome (confirmed | called_off | cancelled) to those who run it.
    `facts` are counts and ids only; the renderer builds the text at send time."""
    people = set(await staff_to_tell(uow, session, secretariat))
    if outcome != "confirmed":  # those who were to run it (a confirmed facilitator has the groups message)
        people |= await _facilitator_and_lecturer(uow, session)
    for user in sorted(people):
        await outbox.enqueue(uow, kind=DeliveryKind.STAFF_SESSION_NOTICE, recipient=user, due_at=now,
                             dedupe_key=f"staff:{outcome}:{session.code}:{user}", now=now,
                             payload={"session_id": session.id, "outcome": outcome, **facts}, session_id=session.id)


async def decide(uow: UnitOfWork, now: datetime, session_id: int,
                 secretariat: frozenset[str] = frozenset(), announce_channel: str | None = None) -> Decision | None:
    """At the deadline: draw the lottery if any, then confirm with groups or call the session off.
    Either way the secretariat and the bureau's staff are told (`secretariat`: JIREI_ADMINS). A
    substitute is announced in `announce_channel` like any session."""
    session = await uow.sessions.get(session_id, lock=True)
    if session is None or session.status != "open" or session.deadline_at > now:
        return None  # someone else decided already, or it moved
    if session.lottery:
        await _draw_lottery(uow, now, session)
    confirmed = await uow.registrations.for_session(session.id, "confirmed")
    if len(confirmed) < session.min_participants:
        return await _call_off(uow, now, session, secretariat, announce_channel)
    people = await uow.coordinators.many(r.user_id for r in confirmed)
    participants = [grouping.Participant(r.user_id, (people.get(r.user_id).affiliation if people.get(r.user_id) else None))
                    for r in confirmed]
    groups = grouping.split_into_groups(participants, session.group_min, session.group_max, seed=session.code)
    by_user = {user: number for number, members in enumerate(groups, 1) for user in members}
    for reg in confirmed:
        reg.group_no, reg.updated_at = by_user[reg.user_id], now
    session.status, session.decided_at = "confirmed", now
    for reg in confirmed:
        await outbox.enqueue(uow, kind=DeliveryKind.SESSION_CONFIRMED, recipient=reg.user_id, due_at=now,
                             dedupe_key=f"confirmed:{session.code}:{reg.user_id}", now=now,
                             payload={"session_id": session.id}, session_id=session.id)
    if session.facilitator_user_id:
        await outbox.enqueue(uow, kind=DeliveryKind.FACILITATOR_GROUPS, recipient=session.facilitator_user_id, due_at=now,
                             dedupe_key=f"groups:{session.code}", now=now, payload={"session_id": session.id},
                             session_id=session.id)
    waiting = await uow.registrations.for_session(session.id, "waitlisted")
    for reg in waiting:  # still on the waitlist: they hear that the session goes ahead, and their place
        await outbox.enqueue(uow, kind=DeliveryKind.WAITLIST_SESSION_CONFIRMED, recipient=reg.user_id, due_at=now,
                             dedupe_key=f"confirmed_waiting:{session.code}:{reg.user_id}", now=now,
                             payload={"session_id": session.id}, session_id=session.id)
    await tell_staff(uow, now, session, "confirmed", secretariat, participants=len(confirmed), groups=len(groups),
                     waitlisted=len(waiting))
    await uow.audit.record(now, "system", "session.confirm", "ok", target=session.code, participants=len(confirmed),
                           groups=len(groups))
    return Decision(session, "confirmed", len(confirmed), groups)


async def _draw_lottery(uow: UnitOfWork, now: datetime, session: CaseSession) -> None:
    applied = await uow.registrations.for_session(session.id, "applied")
    history = await uow.registrations.attendance_counts([r.user_id for r in applied])
    seed = f"{session.code}:{session.deadline_at.isoformat()}"
    result = lottery.draw([lottery.Applicant(r.user_id, r.registered_at, history.get(r.user_id, 0)) for r in applied],
                          session.capacity, seed)
    winners = set(result.winners)
    order = {user: i for i, user in enumerate(result.waitlist)}
    for reg in applied:
        reg.status = "confirmed" if reg.user_id in winners else "waitlisted"
        reg.updated_at = now
        if reg.user_id not in winners:
            # The waitlist continues in the draw's order.
            reg.registered_at = session.deadline_at + timedelta(microseconds=order.get(reg.user_id, 0))
    await uow.flush()
    for user in result.winners:
        await after_confirmed(uow, now, session, user)
    for user in result.waitlist:
        await outbox.enqueue(uow, kind=DeliveryKind.LOTTERY_WAITLISTED, recipient=user, due_at=now,
                             dedupe_key=f"lottery:{session.code}:{user}", now=now, payload={"session_id": session.id},
                             session_id=session.id)
    await uow.audit.record(now, "system", "session.lottery", "ok", target=session.code, seed=seed,
                           winners=len(result.winners), waitlisted=len(result.waitlist), trace=result.trace)


async def _call_off(uow: UnitOfWork, now: datetime, session: CaseSession, secretariat: frozenset[str],
                    announce_channel: str | None = None) -> Decision:
    """Too few at the deadline. An official session is replaced by an online 意見交換会 (the plan's
    answer to "too few applicants", to keep people connected): offered first to the same people in
    their cancellation notice, then announced to the region (substitute_invitees); an exchange
    meeting or a self-run session is simply called off."""
    registrants = await uow.registrations.for_session(session.id, "confirmed", "waitlisted", "applied")
    session.status, session.decided_at = "cancelled", now
    await reminders.cancel_session(uow, session.id)
    await uow.outbox.cancel_pending(session_id=session.id)
    substitute = None
    if session.kind == "official":
        substitute = await uow.sessions.add(CaseSession(
            kind="exchange", case_id=None, title=None, theme=session.theme, bureau=session.bureau,
            starts_at=session.starts_at + SUBSTITUTE_DELAY, minutes=min(session.minutes, 90),
            capacity=max(session.capacity, len(registrants), 2), min_participants=2,
            deadline_at=session.starts_at + SUBSTITUTE_DELAY - SUBSTITUTE_DEADLINE_BEFORE, release_at=None,
            format="online", facilitator_user_id=session.facilitator_user_id, online_url=session.online_url,
            status="open", substitute_of_id=session.id, created_by="system", created_at=now,
            announced_at=now,  # offered to the same people at once, below
        ))
        await reminders.schedule_session_reminders(uow, substitute, now)
    for reg in registrants:
        reg.status, reg.updated_at = "cancelled", now
        await outbox.enqueue(uow, kind=DeliveryKind.SESSION_CANCELLED, recipient=reg.user_id, due_at=now,
                             dedupe_key=f"cancelled:{session.code}:{reg.user_id}", now=now,
                             payload={"session_id": session.id, "substitute_id": substitute.id if substitute else None},
                             session_id=session.id)
    invited, nationwide = 0, False
    if substitute is not None:
        invited, nationwide = await _offer_substitute(uow, now, substitute, {r.user_id for r in registrants},
                                                      announce_channel)
    await tell_staff(uow, now, session, "called_off", secretariat, registrants=len(registrants),
                     substitute_id=substitute.id if substitute else None, invited=invited, nationwide=nationwide)
    await uow.audit.record(now, "system", "session.cancel", "ok", target=session.code, registrants=len(registrants),
                           substitute=substitute.code if substitute else None, invited=invited)
    return Decision(session, "cancelled", len(registrants), substitute=substitute)


# --- the day itself --------------------------------------------------------------------------------


ATTENDANCE_OPENS_BEFORE = timedelta(hours=2)


async def attend(uow: UnitOfWork, now: datetime, actor: Actor, code: str, users: list[str]) -> AttendResult:
    session = await managed_session(uow, now, actor, code, "session.attend")
    if session.status not in ("confirmed", "held"):
        raise Refusal("sessions.error.not_confirmed", code=session.code)
    if now < session.starts_at - ATTENDANCE_OPENS_BEFORE:
        raise Refusal("sessions.error.too_early_to_attend", code=session.code)
    marked, walk_ins, already, forgotten = [], [], [], []
    for user in dict.fromkeys(users):
        reg = await uow.registrations.get(session.id, user)
        if reg is not None and reg.status == "attended":
            already.append(user)  # a second press: nothing to record again
            continue
        if reg is None and await asked_to_be_forgotten(uow, user):
            forgotten.append(user)  # no row of theirs again, not even from an old sheet (README: forget-me)
            continue
        if reg is None:
            reg = await uow.registrations.add(Registration(session_id=session.id, user_id=user, status="attended",
                                                           registered_at=now, updated_at=now,
                                                           checked_in_from="cancelled"))
            walk_ins.append(user)
        else:
            if reg.status not in ("confirmed", "no_show"):
                walk_ins.append(user)
            reg.checked_in_from = reg.status
        if reg.group_no is None:  # a walk-in joins a group, so the introductions afterwards include them
            await uow.flush()
            reg.group_no = await _smallest_group(uow, session)
        reg.status, reg.updated_at = "attended", now
        marked.append(user)
    await uow.audit.record(now, actor.user_id, "session.attend", "ok", target=session.code, marked=len(marked),
                           walk_ins=len(walk_ins), already=len(already), forgotten=len(forgotten))
    return AttendResult(session, marked, walk_ins, already, forgotten)


async def asked_to_be_forgotten(uow: UnitOfWork, user: str) -> bool:
    """Someone who asked to be forgotten and has not come back since (no profile): the forget-me audit
    entry is the one row left with their id."""
    return await uow.coordinators.get(user) is None and await uow.privacy.asked_to_be_forgotten(user)


async def undo_attend(uow: UnitOfWork, now: datetime, actor: Actor, code: str, user: str) -> UndoResult:
    """The check-in sheet's 取消: a check-in pressed by mistake gives back what the person held before
    it. A seat stays theirs; someone waitlisted (or who had left) returns to that, out of the group the
    check-in put them in, and takes no seat; someone who only walked in is taken off again. A seat the
    check-in held goes to the waitlist while the session has not started."""
    session = await managed_session(uow, now, actor, code, "session.attend")
    if session.status not in ("confirmed", "held"):
        raise Refusal("sessions.error.not_confirmed", code=session.code)
    reg = await uow.registrations.get(session.id, user)
    if reg is None or reg.status != "attended":
        return UndoResult(session, user, reg.status if reg else "cancelled", False)
    before = reg.checked_in_from
    if before is None:  # checked in before the status it replaced was kept
        before = "cancelled" if reg.registered_at >= session.starts_at - ATTENDANCE_OPENS_BEFORE else "confirmed"
    reg.status, reg.checked_in_from, reg.updated_at = before, None, now
    if before not in ("confirmed", "no_show"):
        reg.group_no = None
        await uow.flush()
        if session.status == "confirmed" and now < session.starts_at:
            await promote_next(uow, now, session)
    await uow.audit.record(now, actor.user_id, "session.attend_undo", "ok", target=session.code)
    return UndoResult(session, user, reg.status, True)


async def close_finished(uow: UnitOfWork, now: datetime, session: CaseSession) -> bool:
    """After the session: held; attendance settled (no_show only where attendance was taken)."""
    if session.status != "confirmed" or session.ends_at > now:
        return False
    regs = await uow.registrations.for_session(session.id, "confirmed", "attended")
    attendance_taken = any(r.status == "attended" for r in regs)
    if attendance_taken:
        for reg in regs:
            if reg.status == "confirmed":
                reg.status, reg.updated_at = "no_show", now
    session.status, session.held_at = "held", now
    await uow.audit.record(now, "system", "session.held", "ok", target=session.code, attendance_taken=attendance_taken)
    return True


async def attendees(uow: UnitOfWork, session: CaseSession) -> list[Registration]:
    """Who took part: those checked in, or everyone confirmed when no attendance was taken."""
    regs = await uow.registrations.for_session(session.id, "attended", "confirmed")
    attended = [r for r in regs if r.status == "attended"]
    return attended or regs


# --- roster and export ------------------------------------------------------------------------------


async def roster(uow: UnitOfWork, now: datetime, actor: Actor, code: str) -> Roster:
    session = await managed_session(uow, now, actor, code, "session.roster")
    regs = await uow.registrations.for_session(session.id)
    people = await uow.coordinators.many(r.user_id for r in regs)
    readers = await uow.material_reads.readers(session.id)
    case = await uow.cases.get(session.case_id) if session.case_id else None
    lines = [RosterLine(r.user_id, people[r.user_id].name if r.user_id in people else None,
                        people[r.user_id].affiliation if r.user_id in people else None, r.status, r.group_no,
                        r.user_id in readers, bool(people.get(r.user_id) and people[r.user_id].pledge_accepted_at))
             for r in regs]
    await uow.audit.record(now, actor.user_id, "session.roster", "ok", target=session.code)
    return Roster(session, case, lines)


async def export_session(uow: UnitOfWork, code: str, tz: ZoneInfo) -> dict:
    """DESIGN §3's session export; times in Japan time with their offset (+09:00)."""
    session = await uow.sessions.by_code(code)
    if session is None:
        raise Refusal("sessions.error.not_found", code=code)
    case = await uow.cases.get(session.case_id) if session.case_id else None
    substitute = None
    if session.status == "cancelled":
        found = await uow.sessions.substitutes_of([session.id])
        substitute = found[0].code if found else None
    regs = await uow.registrations.for_session(session.id)
    deliveries = await uow.outbox.of_session(session.id)
    return {
        "session": {
            "code": session.code, "status": session.status, "bureau": session.bureau,
            "case": case.code if case else None, "capacity": session.capacity,
            "min_participants": session.min_participants, "starts_at": local_iso(session.starts_at, tz),
            "substitute": substitute,
        },
        "registrations": [{"user_id": r.user_id, "status": r.status, "group": r.group_no,
                           "registered_at": local_iso(r.registered_at, tz)} for r in regs],
        "deliveries": [{"user_id": d.recipient, "kind": d.kind, "status": d.status,
                        "sent_at": local_iso(d.sent_at, tz)} for d in deliveries],
    }
