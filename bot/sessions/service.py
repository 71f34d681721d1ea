"""Cases and sessions: planning, registration with capacity and waitlist, the deadline decision,
groups and attendance (DESIGN §2 items 2–4 and 7). No Slack, no SQL: a unit of work, `now`
and plain values in; plain results out. Every message owed is enqueued in the same transaction.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core import grouping
from bot.core import lottery
from bot.delivery import outbox
from bot.core.i18n import t
from bot.delivery.kinds import DeliveryKind
from bot.sessions import changes as notices, reminders
from bot.people.results import Actor
from bot.core.refusal import Refusal
from bot.core.session_spec import SessionSpec, SpecError
from bot.sessions.results import (EditResult, CancelResult, AnnounceResult, SessionSummary, SessionPage,
                                  JoinResult, LeaveResult, Decision, AttendResult, RosterLine, Roster,
                                  UndoResult, MessageResult)
from config.reference import bureaus
from storage.models import Case, CaseSession, Coordinator, Registration
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
    from bot.core import anonymisation

    findings = await asyncio.to_thread(anonymisation.check_text, summary, lang)
    if findings:
        kinds = ("、" if lang == "ja" else ", ").join(
            dict.fromkeys(t(f"anonymisation.kind.{f.kind}", lang) for f in findings))
        raise Refusal("sessions.error.summary_personal_data", kinds=kinds)


async def create_case(uow: UnitOfWork, now: datetime, actor: Actor, *, title: str, theme: str,
                      lecturer: str | None, summary: str | None = None) -> Case:
    if not actor.is_admin:
        await uow.audit.record(now, actor.user_id, "case.create", "refused")
        raise Refusal("auth.admin_only")
    case = await uow.cases.add(Case(title=title, theme=theme, lecturer_user_id=lecturer, summary=summary,
                                    created_by=actor.user_id, created_at=now))
    if lecturer:
        await uow.roles.grant(lecturer, "lecturer", "", actor.user_id, now)
    await uow.audit.record(now, actor.user_id, "case.create", "ok", target=case.code, theme=theme)
    return case


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
    item = await uow.sessions.add(CaseSession(
        kind=spec.kind, case_id=case.id if case else None, title=spec.title, theme=spec.theme or (case.theme if case else None),
        bureau=spec.bureau, starts_at=spec.start, minutes=spec.minutes, capacity=spec.capacity,
        min_participants=spec.min_participants, deadline_at=spec.deadline, release_at=spec.release,
        format=spec.format, place=spec.place, facilitator_user_id=spec.facilitator, online_url=spec.url,
        status="open", lottery=spec.lottery, study_group_id=spec.study_group_id,
        created_by=actor.user_id, created_at=now,
    ))
    await reminders.schedule_session_reminders(uow, item, now)
    await uow.audit.record(now, actor.user_id, "session.create", "ok", target=item.code, bureau=spec.bureau,
                           kind=spec.kind)
    return item


# What the proposer of a self-run session may do with it (its bureau is "online": nobody's bureau).
PROPOSER_ACTIONS = ("session.edit", "session.cancel", "session.message")


async def managed_session(uow: UnitOfWork, now: datetime, actor: Actor, code: str, action: str,
                          *, lock: bool = False) -> CaseSession:
    """The session, if the actor may manage it (admins; bureau staff of its bureau; its facilitator)."""
    item = await uow.sessions.by_code(code, lock=lock)
    if item is None:
        raise Refusal("sessions.error.not_found", code=code)
    allowed = actor.can_manage_bureau(item.bureau) or (
        item.facilitator_user_id == actor.user_id and action in ("session.roster", "session.attend")) or (
        # a self-run session is its proposer's to change or call off
        item.kind == "self_run" and item.created_by == actor.user_id and action in PROPOSER_ACTIONS)
    if not allowed:
        await uow.audit.record(now, actor.user_id, action, "refused", target=item.code)
        if item.kind == "self_run" and action in PROPOSER_ACTIONS:
            raise Refusal("sessions.error.proposer_only", code=item.code)
        raise Refusal("auth.other_bureau")
    return item


# --- editing and cancelling -------------------------------------------------------------------

# SessionSpec field -> CaseSession attribute, for what `admin session edit` may change.
EDITABLE = {"start": "starts_at", "minutes": "minutes", "capacity": "capacity", "min_participants": "min_participants",
            "deadline": "deadline_at", "release": "release_at", "format": "format",
            "facilitator": "facilitator_user_id", "url": "online_url", "place": "place"}
DECIDED_AT_DEADLINE = ("deadline", "min_participants")
LIVE_STATUSES = ("open", "confirmed")


def _spec_of(item: CaseSession) -> SessionSpec:
    """The stored session as a spec (not validated again: it was held to the rules when written)."""
    return SessionSpec.model_construct(case=None, bureau=item.bureau, start=item.starts_at, minutes=item.minutes,
                       capacity=item.capacity, min_participants=item.min_participants, deadline=item.deadline_at,
                       release=item.release_at, format=item.format, facilitator=item.facilitator_user_id,
                       url=item.online_url, lottery=item.lottery, kind=item.kind, title=item.title, theme=item.theme,
                       place=item.place)


async def edit_session(uow: UnitOfWork, now: datetime, actor: Actor, code: str, changes: dict) -> EditResult:
    """`admin session edit`: change what may change, keep every rule of a new session, move the
    reminders with the session, fill new seats from the waitlist, tell the registrants."""
    item = await managed_session(uow, now, actor, code, "session.edit", lock=True)
    if item.status not in LIVE_STATUSES:
        raise Refusal("sessions.error.not_editable", code=item.code)
    decided = item.status == "confirmed"
    current = _spec_of(item)
    wanted = current.model_copy(update={k: v for k, v in changes.items() if k in EDITABLE})
    changed = [k for k in EDITABLE if getattr(wanted, k) != getattr(current, k)]
    if not changed:
        return EditResult(item, [], 0)
    if decided and set(changed) & set(DECIDED_AT_DEADLINE):
        raise Refusal("sessions.error.decided_already", code=item.code)
    wanted.check(now, decided=decided)
    taken = await uow.registrations.count(item.id, "confirmed", "attended")
    if wanted.capacity < taken:
        raise Refusal("sessions.error.capacity_below_taken", code=item.code, taken=taken)
    for field_name in changed:
        setattr(item, EDITABLE[field_name], getattr(wanted, field_name))
    await uow.flush()
    if {"start", "minutes", "facilitator"} & set(changed):
        await reminders.reschedule_session(uow, item, now)
    if "capacity" in changed:
        while await promote_next(uow, now, item):
            pass
    told = await notices.tell_registrants_of_edit(uow, now, item, changed,
                                                  {k: getattr(current, k) for k in changed},
                                                  {k: getattr(wanted, k) for k in changed})
    await uow.audit.record(now, actor.user_id, "session.edit", "ok", target=item.code, changed=changed, told=told)
    return EditResult(item, changed, told)


async def cancel_session(uow: UnitOfWork, now: datetime, actor: Actor, code: str, reason: str | None,
                         secretariat: frozenset[str] = frozenset()) -> CancelResult:
    """`admin session cancel`: the session is off; its registrants, the secretariat, the bureau's
    staff, its facilitator and lecturer are told; nothing more is sent for it."""
    item = await managed_session(uow, now, actor, code, "session.cancel", lock=True)
    if item.status not in LIVE_STATUSES:
        raise Refusal("sessions.error.not_editable", code=item.code)
    registrants = await uow.registrations.for_session(item.id, "confirmed", "waitlisted", "applied")
    item.status, item.decided_at = "cancelled", now
    await reminders.cancel_session(uow, item.id)
    await uow.outbox.cancel_pending(session_id=item.id)
    # Free text by the staff: kept only as ciphertext, like every other free text.
    facts = {"reason_encrypted": uow.cipher.encrypt(reason.encode()).decode()} if reason else {}
    for reg in registrants:
        reg.status, reg.updated_at = "cancelled", now
        await outbox.enqueue(uow, kind=DeliveryKind.SESSION_CANCELLED, recipient=reg.user_id, due_at=now,
                             dedupe_key=f"cancelled:{item.code}:{reg.user_id}", now=now,
                             payload={"session_id": item.id, "by_staff": True, **facts}, session_id=item.id)
    await tell_staff(uow, now, item, "cancelled", secretariat, registrants=len(registrants), **facts)
    await notices.refresh_posts(uow, now, item, notices.change_id())  # the announcement says 中止 in place
    await uow.audit.record(now, actor.user_id, "session.cancel", "ok", target=item.code, registrants=len(registrants),
                           by="staff")
    return CancelResult(item, len(registrants))


async def edit_case(uow: UnitOfWork, now: datetime, actor: Actor, code: str, changes: dict) -> Case:
    """`admin case edit`: title, theme, lecturer, summary. A new lecturer gets the role and the reminders."""
    if not actor.is_admin:
        await uow.audit.record(now, actor.user_id, "case.edit", "refused", target=code)
        raise Refusal("auth.admin_only")
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
        for item in await uow.sessions.for_case(case.id):
            if item.status in LIVE_STATUSES:
                await reminders.reschedule_session(uow, item, now)
    if "theme" in changed:
        for item in await uow.sessions.for_case(case.id):
            item.theme = case.theme
    await uow.library.mark_stale(case.id)  # the library shows the case as it is now
    await uow.audit.record(now, actor.user_id, "case.edit", "ok", target=case.code, changed=changed)
    return case


# --- announcing ------------------------------------------------------------------------------


async def announce(uow: UnitOfWork, now: datetime, actor: Actor, code: str,
                   announce_channel: str | None) -> AnnounceResult:
    from storage.models import FanoutBatch

    item = await managed_session(uow, now, actor, code, "session.announce")
    if item.status != "open":
        raise Refusal("sessions.error.not_open", code=item.code)
    people = await not_yet_invited(uow, item, await eligible_invitees(uow, item))
    batch = None
    if people:
        batch = FanoutBatch(kind=DeliveryKind.SESSION_INVITATION, total=len(people), admin_user_id=actor.user_id,
                            created_at=now)
        await uow.outbox.add_batch(batch)
    for person in people:
        await outbox.enqueue(uow, kind=DeliveryKind.SESSION_INVITATION, recipient=person.slack_user_id, due_at=now,
                             dedupe_key=notices.invitation_key(item.code, person.slack_user_id), now=now,
                             payload={"session_id": item.id}, session_id=item.id, batch_id=batch.id,
                             grace_seconds=INVITATION_GRACE_SECONDS)
    posted = False
    if announce_channel:
        posted = await outbox.enqueue(uow, kind=DeliveryKind.SESSION_ANNOUNCEMENT, recipient=announce_channel, due_at=now,
                                      dedupe_key=notices.announcement_key(item.code), now=now,
                                      payload={"session_id": item.id}, session_id=item.id)
    again = item.announced_at is not None
    item.announced_at = item.announced_at or now
    await uow.audit.record(now, actor.user_id, "session.announce", "ok", target=item.code, invited=len(people),
                           again=again)
    return AnnounceResult(item, len(people), posted, batch.id if batch else None, again=again)


async def not_yet_invited(uow: UnitOfWork, item: CaseSession, people: list[Coordinator]) -> list[Coordinator]:
    """Announcing again reaches only those with no invitation yet and no registration (people who
    joined the region since, or finished their profile)."""
    keys = [notices.invitation_key(item.code, p.slack_user_id) for p in people]
    invited = await uow.outbox.by_dedupe_keys(keys) if keys else {}
    registered = {r.user_id for r in await uow.registrations.for_session(item.id) if r.status != "cancelled"}
    return [p for p, key in zip(people, keys) if key not in invited and p.slack_user_id not in registered]


async def eligible_invitees(uow: UnitOfWork, item: CaseSession) -> list[Coordinator]:
    """Coordinators of the session's region (everyone, for an online session), profile complete.
    A substitute 意見交換会 keeps to its bureau's region, unless the region is too small for it."""
    if item.substitute_of_id is not None:
        return await substitute_invitees(uow, item)
    if item.bureau == "online" or item.format == "online" and item.kind != "official":
        people = await uow.coordinators.active()
    else:
        people = await uow.coordinators.in_bureau(item.bureau)
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
    item = await managed_session(uow, now, actor, code, "session.message")
    if item.status not in ("open", "confirmed", "held"):
        raise Refusal("sessions.error.not_editable", code=item.code)
    sent = await notices.message_registrants(uow, now, item, actor.user_id, text)
    await uow.audit.record(now, actor.user_id, "session.message", "ok", target=item.code, sent=sent)
    return MessageResult(item, sent)


# --- listing -----------------------------------------------------------------------------------


async def open_sessions(uow: UnitOfWork, actor: Actor, limit: int) -> SessionPage:
    """The first `limit` open sessions, the person's own region first, then by start time (a fixed
    number of queries, however many sessions there are), and how many are open in all."""
    items, total = await uow.sessions.open_first(actor.bureau, limit)
    return SessionPage(await summarise_many(uow, items, actor.user_id), total)


async def summarise_many(uow: UnitOfWork, items: list[CaseSession], user_id: str | None, *,
                         mine: dict[int, Registration] | None = None) -> list[SessionSummary]:
    """`mine`: the person's registrations by session id, when the caller has read them already."""
    ids = [item.id for item in items]
    counts = await uow.registrations.status_counts(ids)
    cases = await uow.cases.many(sorted({item.case_id for item in items if item.case_id}))
    if mine is None:
        mine = await uow.registrations.of_user_in(user_id, ids) if user_id else {}
    summaries = []
    for item in items:
        n = counts.get(item.id, {})
        summaries.append(SessionSummary(
            session=item, case=cases.get(item.case_id) if item.case_id else None,
            confirmed=n.get("confirmed", 0) + n.get("attended", 0),
            waitlisted=n.get("waitlisted", 0) + n.get("applied", 0),
            my_status=mine[item.id].status if item.id in mine else None,
        ))
    return summaries


async def summarise(uow: UnitOfWork, item: CaseSession, user_id: str | None) -> SessionSummary:
    case = await uow.cases.get(item.case_id) if item.case_id else None
    mine = await uow.registrations.get(item.id, user_id) if user_id else None
    return SessionSummary(
        session=item, case=case,
        confirmed=await uow.registrations.count(item.id, "confirmed", "attended"),
        waitlisted=await uow.registrations.count(item.id, "waitlisted", "applied"),
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


def held_elsewhere(item: CaseSession, home_bureau: str | None) -> bool:
    """A session people must travel to, in another bureau's region than the person's own."""
    return bool(home_bureau) and item.bureau != home_bureau and item.format != "online"


async def join(uow: UnitOfWork, now: datetime, actor: Actor, code: str, *, elsewhere_ok: bool = False) -> JoinResult:
    """Register for a session. One in another region (not online) is first answered with
    "elsewhere", so the person confirms they can travel there (`elsewhere_ok`)."""
    person = await uow.coordinators.get(actor.user_id)
    if person is None or not person.profile_complete:
        raise Refusal("sessions.error.needs_profile")
    if person.pledge_accepted_at is None:
        raise Refusal("sessions.error.needs_pledge")
    item = await uow.sessions.by_code(code, lock=True)
    if item is None or item.announced_at is None:  # invisible until announced
        raise Refusal("sessions.error.not_found", code=code)
    if item.status != "open" or now >= item.deadline_at and not (item.status == "confirmed"):
        if item.status == "confirmed" and now < item.starts_at:
            pass  # late joiners may still take a free seat or the waitlist of a confirmed session
        else:
            raise Refusal("sessions.error.closed", code=item.code)
    if item.status not in ("open", "confirmed"):
        raise Refusal("sessions.error.closed", code=item.code)
    existing = await uow.registrations.get(item.id, actor.user_id)
    if existing is not None and existing.status != "cancelled":
        position = await waitlist_position(uow, item, existing) if existing.status == "waitlisted" else None
        return JoinResult("already", item, position, existing.status)
    if held_elsewhere(item, person.bureau) and not elsewhere_ok:
        return JoinResult("elsewhere", item, home_bureau=person.bureau)
    if item.lottery and item.status == "open":
        status = "applied"
    else:
        taken = await uow.registrations.count(item.id, "confirmed", "attended")
        status = "confirmed" if taken < item.capacity else "waitlisted"
    if existing is None:
        reg = await uow.registrations.add(Registration(session_id=item.id, user_id=actor.user_id, status=status,
                                                       registered_at=now, updated_at=now))
    else:  # a returning person goes to the back of the queue
        existing.status, existing.registered_at, existing.updated_at, existing.group_no = status, now, now, None
        reg = existing
        await uow.flush()
    if status == "confirmed":
        if item.status == "confirmed":  # a late joiner goes into a group, so the introductions include them
            reg.group_no = await _smallest_group(uow, item)
        await after_confirmed(uow, now, item, actor.user_id)
    await notices.seats_changed(uow, now, item)
    await notices.roster_changed(uow, now, item, actor.user_id, "joined" if status == "confirmed" else "waitlisted")
    await uow.audit.record(now, actor.user_id, "session.join", "ok", target=item.code, status=status)
    position = await waitlist_position(uow, item, reg) if status == "waitlisted" else None
    return JoinResult(status, item, position, status)


async def waitlist_position(uow: UnitOfWork, item: CaseSession, reg: Registration) -> int:
    waiting = await uow.registrations.for_session(item.id, "waitlisted")
    return next((i for i, r in enumerate(waiting, 1) if r.id == reg.id), len(waiting))


async def after_confirmed(uow: UnitOfWork, now: datetime, item: CaseSession, user_id: str) -> None:
    """Everything owed to someone whose seat is confirmed: reminders, and material if released."""
    await reminders.schedule_person_reminders(uow, item, user_id, "participant", now)
    from bot.materials import service as materials  # materials depend on sessions, not the other way round

    await materials.on_participant_confirmed(uow, now, item, user_id)


async def leave(uow: UnitOfWork, now: datetime, actor: Actor, code: str) -> LeaveResult:
    item = await uow.sessions.by_code(code, lock=True)
    if item is None:
        raise Refusal("sessions.error.not_found", code=code)
    reg = await uow.registrations.get(item.id, actor.user_id)
    if reg is None or reg.status in ("cancelled",):
        raise Refusal("sessions.error.not_registered", code=item.code)
    if item.status not in ("open", "confirmed") or now >= item.starts_at:
        raise Refusal("sessions.error.too_late_to_leave", code=item.code)
    previous = reg.status
    reg.status, reg.updated_at, reg.group_no = "cancelled", now, None
    await uow.flush()
    await reminders.cancel_person(uow, item.id, actor.user_id)
    promoted = None
    if previous == "confirmed":
        promoted = await promote_next(uow, now, item)
    await notices.seats_changed(uow, now, item)
    await notices.roster_changed(uow, now, item, actor.user_id, "left")
    await uow.audit.record(now, actor.user_id, "session.leave", "ok", target=item.code, status=previous)
    return LeaveResult(item, previous, promoted)


async def promote_next(uow: UnitOfWork, now: datetime, item: CaseSession) -> str | None:
    """Fill a freed seat from the waitlist, in registration order, and tell the person."""
    taken = await uow.registrations.count(item.id, "confirmed", "attended")
    if taken >= item.capacity:
        return None
    nxt = await uow.registrations.first_waitlisted(item.id)
    if nxt is None:
        return None
    nxt.status, nxt.updated_at = "confirmed", now
    if item.status == "confirmed":
        nxt.group_no = await _smallest_group(uow, item)
    await uow.flush()
    await after_confirmed(uow, now, item, nxt.user_id)
    await outbox.enqueue(uow, kind=DeliveryKind.WAITLIST_PROMOTED, recipient=nxt.user_id, due_at=now,
                         dedupe_key=f"promoted:{item.code}:{nxt.user_id}:{notices.change_id()}", now=now,
                         payload={"session_id": item.id}, session_id=item.id)
    await notices.roster_changed(uow, now, item, nxt.user_id, "promoted")
    await uow.audit.record(now, "system", "session.promote", "ok", target=item.code)
    return nxt.user_id


async def _smallest_group(uow: UnitOfWork, item: CaseSession) -> int | None:
    members = await uow.registrations.for_session(item.id, "confirmed", "attended")
    sizes: dict[int, int] = {}
    for reg in members:
        if reg.group_no is not None:
            sizes[reg.group_no] = sizes.get(reg.group_no, 0) + 1
    return min(sizes, key=lambda g: (sizes[g], g)) if sizes else None


# --- the deadline decision ---------------------------------------------------------------------


async def staff_to_tell(uow: UnitOfWork, item: CaseSession, secretariat: frozenset[str]) -> list[str]:
    """Who must hear what became of a session: the secretariat (JIREI_ADMINS and admin roles) and the
    bureau's staff; for a self-run session, its proposer, who runs it."""
    if item.kind == "self_run":
        return [item.created_by]
    people = set(secretariat) | set(await uow.roles.holders("admin")) | set(await uow.roles.staff_of(item.bureau))
    return sorted(people)


async def _facilitator_and_lecturer(uow: UnitOfWork, item: CaseSession) -> set[str]:
    case = await uow.cases.get(item.case_id) if item.case_id else None
    return {user for user in (item.facilitator_user_id, case.lecturer_user_id if case else None) if user}


async def tell_staff(uow: UnitOfWork, now: datetime, item: CaseSession, outcome: str, secretariat: frozenset[str],
                     **facts: object) -> None:
    """A notice of the session's outcome (confirmed | called_off | cancelled) to those who run it.
    `facts` are counts and ids only; the renderer builds the text at send time."""
    people = set(await staff_to_tell(uow, item, secretariat))
    if outcome != "confirmed":  # those who were to run it (a confirmed facilitator has the groups message)
        people |= await _facilitator_and_lecturer(uow, item)
    for user in sorted(people):
        await outbox.enqueue(uow, kind=DeliveryKind.STAFF_SESSION_NOTICE, recipient=user, due_at=now,
                             dedupe_key=f"staff:{outcome}:{item.code}:{user}", now=now,
                             payload={"session_id": item.id, "outcome": outcome, **facts}, session_id=item.id)


async def decide(uow: UnitOfWork, now: datetime, session_id: int,
                 secretariat: frozenset[str] = frozenset(), announce_channel: str | None = None) -> Decision | None:
    """At the deadline: draw the lottery if any, then confirm with groups or call the session off.
    Either way the secretariat and the bureau's staff are told (`secretariat`: JIREI_ADMINS). A
    substitute is announced in `announce_channel` like any session."""
    item = await uow.sessions.get(session_id, lock=True)
    if item is None or item.status != "open" or item.deadline_at > now:
        return None  # someone else decided already, or it moved
    if item.lottery:
        await _draw_lottery(uow, now, item)
    confirmed = await uow.registrations.for_session(item.id, "confirmed")
    if len(confirmed) < item.min_participants:
        return await _call_off(uow, now, item, secretariat, announce_channel)
    people = await uow.coordinators.many(r.user_id for r in confirmed)
    participants = [grouping.Participant(r.user_id, (people.get(r.user_id).affiliation if people.get(r.user_id) else None))
                    for r in confirmed]
    groups = grouping.split_into_groups(participants, item.group_min, item.group_max, seed=item.code)
    by_user = {user: number for number, members in enumerate(groups, 1) for user in members}
    for reg in confirmed:
        reg.group_no, reg.updated_at = by_user[reg.user_id], now
    item.status, item.decided_at = "confirmed", now
    for reg in confirmed:
        await outbox.enqueue(uow, kind=DeliveryKind.SESSION_CONFIRMED, recipient=reg.user_id, due_at=now,
                             dedupe_key=f"confirmed:{item.code}:{reg.user_id}", now=now,
                             payload={"session_id": item.id}, session_id=item.id)
    if item.facilitator_user_id:
        await outbox.enqueue(uow, kind=DeliveryKind.FACILITATOR_GROUPS, recipient=item.facilitator_user_id, due_at=now,
                             dedupe_key=f"groups:{item.code}", now=now, payload={"session_id": item.id},
                             session_id=item.id)
    waiting = await uow.registrations.for_session(item.id, "waitlisted")
    for reg in waiting:  # still on the waitlist: they hear that the session goes ahead, and their place
        await outbox.enqueue(uow, kind=DeliveryKind.WAITLIST_SESSION_CONFIRMED, recipient=reg.user_id, due_at=now,
                             dedupe_key=f"confirmed_waiting:{item.code}:{reg.user_id}", now=now,
                             payload={"session_id": item.id}, session_id=item.id)
    await tell_staff(uow, now, item, "confirmed", secretariat, participants=len(confirmed), groups=len(groups),
                     waitlisted=len(waiting))
    await uow.audit.record(now, "system", "session.confirm", "ok", target=item.code, participants=len(confirmed),
                           groups=len(groups))
    return Decision(item, "confirmed", len(confirmed), groups)


async def _draw_lottery(uow: UnitOfWork, now: datetime, item: CaseSession) -> None:
    applied = await uow.registrations.for_session(item.id, "applied")
    history = await uow.registrations.attendance_counts([r.user_id for r in applied])
    seed = f"{item.code}:{item.deadline_at.isoformat()}"
    result = lottery.draw([lottery.Applicant(r.user_id, r.registered_at, history.get(r.user_id, 0)) for r in applied],
                          item.capacity, seed)
    winners = set(result.winners)
    order = {user: i for i, user in enumerate(result.waitlist)}
    for reg in applied:
        reg.status = "confirmed" if reg.user_id in winners else "waitlisted"
        reg.updated_at = now
        if reg.user_id not in winners:
            # The waitlist continues in the draw's order.
            reg.registered_at = item.deadline_at + timedelta(microseconds=order.get(reg.user_id, 0))
    await uow.flush()
    for user in result.winners:
        await after_confirmed(uow, now, item, user)
    for user in result.waitlist:
        await outbox.enqueue(uow, kind=DeliveryKind.LOTTERY_WAITLISTED, recipient=user, due_at=now,
                             dedupe_key=f"lottery:{item.code}:{user}", now=now, payload={"session_id": item.id},
                             session_id=item.id)
    await uow.audit.record(now, "system", "session.lottery", "ok", target=item.code, seed=seed,
                           winners=len(result.winners), waitlisted=len(result.waitlist), trace=result.trace)


async def _call_off(uow: UnitOfWork, now: datetime, item: CaseSession, secretariat: frozenset[str],
                    announce_channel: str | None = None) -> Decision:
    """Too few at the deadline. An official session is replaced by an online 意見交換会 (the plan's
    answer to "too few applicants", to keep people connected): offered first to the same people in
    their cancellation notice, then announced to the region (substitute_invitees); an exchange
    meeting or a self-run session is simply called off."""
    registrants = await uow.registrations.for_session(item.id, "confirmed", "waitlisted", "applied")
    item.status, item.decided_at = "cancelled", now
    await reminders.cancel_session(uow, item.id)
    await uow.outbox.cancel_pending(session_id=item.id)
    substitute = None
    if item.kind == "official":
        substitute = await uow.sessions.add(CaseSession(
            kind="exchange", case_id=None, title=None, theme=item.theme, bureau=item.bureau,
            starts_at=item.starts_at + SUBSTITUTE_DELAY, minutes=min(item.minutes, 90),
            capacity=max(item.capacity, len(registrants), 2), min_participants=2,
            deadline_at=item.starts_at + SUBSTITUTE_DELAY - SUBSTITUTE_DEADLINE_BEFORE, release_at=None,
            format="online", facilitator_user_id=item.facilitator_user_id, online_url=item.online_url,
            status="open", substitute_of_id=item.id, created_by="system", created_at=now,
            announced_at=now,  # offered to the same people at once, below
        ))
        await reminders.schedule_session_reminders(uow, substitute, now)
    for reg in registrants:
        reg.status, reg.updated_at = "cancelled", now
        await outbox.enqueue(uow, kind=DeliveryKind.SESSION_CANCELLED, recipient=reg.user_id, due_at=now,
                             dedupe_key=f"cancelled:{item.code}:{reg.user_id}", now=now,
                             payload={"session_id": item.id, "substitute_id": substitute.id if substitute else None},
                             session_id=item.id)
    invited, nationwide = 0, False
    if substitute is not None:
        invited, nationwide = await _offer_substitute(uow, now, substitute, {r.user_id for r in registrants},
                                                      announce_channel)
    await tell_staff(uow, now, item, "called_off", secretariat, registrants=len(registrants),
                     substitute_id=substitute.id if substitute else None, invited=invited, nationwide=nationwide)
    await uow.audit.record(now, "system", "session.cancel", "ok", target=item.code, registrants=len(registrants),
                           substitute=substitute.code if substitute else None, invited=invited)
    return Decision(item, "cancelled", len(registrants), substitute=substitute)


# --- the day itself --------------------------------------------------------------------------------


ATTENDANCE_OPENS_BEFORE = timedelta(hours=2)


async def attend(uow: UnitOfWork, now: datetime, actor: Actor, code: str, users: list[str]) -> AttendResult:
    item = await managed_session(uow, now, actor, code, "session.attend")
    if item.status not in ("confirmed", "held"):
        raise Refusal("sessions.error.not_confirmed", code=item.code)
    if now < item.starts_at - ATTENDANCE_OPENS_BEFORE:
        raise Refusal("sessions.error.too_early_to_attend", code=item.code)
    marked, walk_ins, already = [], [], []
    for user in dict.fromkeys(users):
        reg = await uow.registrations.get(item.id, user)
        if reg is not None and reg.status == "attended":
            already.append(user)  # a second press: nothing to record again
            continue
        if reg is None:
            reg = await uow.registrations.add(Registration(session_id=item.id, user_id=user, status="attended",
                                                           registered_at=now, updated_at=now))
            walk_ins.append(user)
        elif reg.status not in ("confirmed", "no_show"):
            walk_ins.append(user)
        if reg.group_no is None:  # a walk-in joins a group, so the introductions afterwards include them
            await uow.flush()
            reg.group_no = await _smallest_group(uow, item)
        reg.status, reg.updated_at = "attended", now
        marked.append(user)
    await uow.audit.record(now, actor.user_id, "session.attend", "ok", target=item.code, marked=len(marked),
                           walk_ins=len(walk_ins), already=len(already))
    return AttendResult(item, marked, walk_ins, already)


async def undo_attend(uow: UnitOfWork, now: datetime, actor: Actor, code: str, user: str) -> UndoResult:
    """The check-in sheet's 取消: a check-in pressed by mistake. Someone with a registration from
    before the day keeps their seat (confirmed); someone who only walked in is taken off again."""
    item = await managed_session(uow, now, actor, code, "session.attend")
    if item.status not in ("confirmed", "held"):
        raise Refusal("sessions.error.not_confirmed", code=item.code)
    reg = await uow.registrations.get(item.id, user)
    if reg is None or reg.status != "attended":
        return UndoResult(item, user, reg.status if reg else "cancelled", False)
    walked_in = reg.registered_at >= item.starts_at - ATTENDANCE_OPENS_BEFORE
    reg.status, reg.updated_at = ("cancelled" if walked_in else "confirmed"), now
    if walked_in:
        reg.group_no = None
    await uow.audit.record(now, actor.user_id, "session.attend_undo", "ok", target=item.code)
    return UndoResult(item, user, reg.status, True)


async def close_finished(uow: UnitOfWork, now: datetime, item: CaseSession) -> bool:
    """After the session: held; attendance settled (no_show only where attendance was taken)."""
    if item.status != "confirmed" or item.ends_at > now:
        return False
    regs = await uow.registrations.for_session(item.id, "confirmed", "attended")
    attendance_taken = any(r.status == "attended" for r in regs)
    if attendance_taken:
        for reg in regs:
            if reg.status == "confirmed":
                reg.status, reg.updated_at = "no_show", now
    item.status, item.held_at = "held", now
    await uow.audit.record(now, "system", "session.held", "ok", target=item.code, attendance_taken=attendance_taken)
    return True


async def attendees(uow: UnitOfWork, item: CaseSession) -> list[Registration]:
    """Who took part: those checked in, or everyone confirmed when no attendance was taken."""
    regs = await uow.registrations.for_session(item.id, "attended", "confirmed")
    attended = [r for r in regs if r.status == "attended"]
    return attended or regs


# --- roster and export ------------------------------------------------------------------------------


async def roster(uow: UnitOfWork, now: datetime, actor: Actor, code: str) -> Roster:
    item = await managed_session(uow, now, actor, code, "session.roster")
    regs = await uow.registrations.for_session(item.id)
    people = await uow.coordinators.many(r.user_id for r in regs)
    readers = await uow.material_reads.readers(item.id)
    case = await uow.cases.get(item.case_id) if item.case_id else None
    lines = [RosterLine(r.user_id, people[r.user_id].name if r.user_id in people else None,
                        people[r.user_id].affiliation if r.user_id in people else None, r.status, r.group_no,
                        r.user_id in readers, bool(people.get(r.user_id) and people[r.user_id].pledge_accepted_at))
             for r in regs]
    await uow.audit.record(now, actor.user_id, "session.roster", "ok", target=item.code)
    return Roster(item, case, lines)


async def export_session(uow: UnitOfWork, code: str, tz: ZoneInfo) -> dict:
    """DESIGN §3's session export; times in Japan time with their offset (+09:00)."""
    from bot.core.exports import local_iso

    item = await uow.sessions.by_code(code)
    if item is None:
        raise Refusal("sessions.error.not_found", code=code)
    case = await uow.cases.get(item.case_id) if item.case_id else None
    substitute = None
    if item.status == "cancelled":
        found = await uow.sessions.substitutes_of([item.id])
        substitute = found[0].code if found else None
    regs = await uow.registrations.for_session(item.id)
    deliveries = await uow.outbox.of_session(item.id)
    return {
        "session": {
            "code": item.code, "status": item.status, "bureau": item.bureau,
            "case": case.code if case else None, "capacity": item.capacity,
            "min_participants": item.min_participants, "starts_at": local_iso(item.starts_at, tz),
            "substitute": substitute,
        },
        "registrations": [{"user_id": r.user_id, "status": r.status, "group": r.group_no,
                           "registered_at": local_iso(r.registered_at, tz)} for r in regs],
        "deliveries": [{"user_id": d.recipient, "kind": d.kind, "status": d.status,
                        "sent_at": local_iso(d.sent_at, tz)} for d in deliveries],
    }


def bureau_label(code: str, lang: str) -> str:
    """A bureau's name; sessions held online (substitutes, self-run) belong to none."""
    found = next((b for b in bureaus() if b.code == code), None)
    if found is not None:
        return found.name(lang)
    return t("sessions.bureau_online", lang) if code == "online" else code
