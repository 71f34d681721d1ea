"""Sessions' messages: the renderers of what the outbox delivers about sessions (invitations,
confirmations, changes, reminders), built at send time."""

from __future__ import annotations

import logging

from bot.sessions import blocks, changes
from bot.sessions.reminder_blocks import ReminderView, build_reminder
from bot.core.calendar import session_ics
from bot.delivery.kinds import DeliveryKind
from bot.delivery.renderers import FileUpload, Message, RenderContext
from bot.core.i18n import t
from bot.kit import notification_text
from bot.sessions.reminders import ACTIVE_SESSION_STATUSES, utc
from storage.models import CaseSession

log = logging.getLogger(__name__)


FALLBACK_MAX = 300


def _fallback(built: list[dict], code: str) -> str:
    """The notification text: the first section's whole lines that fit in FALLBACK_MAX (already
    escaped mrkdwn, so it is never cut inside a line), else the session's code."""
    return notification_text(built[0]["text"]["text"], FALLBACK_MAX) or code


async def _context(ctx: RenderContext, key: str = "session_id") -> tuple[CaseSession | None, object, str]:
    item = await ctx.uow.sessions.get(int(ctx.payload.get(key, 0)))
    case = await ctx.uow.cases.get(item.case_id) if item and item.case_id else None
    person = await ctx.uow.coordinators.get(ctx.delivery.recipient)
    return item, case, person.lang if person else "ja"


async def render_invitation(ctx: RenderContext) -> Message | None:
    item, case, lang = await _context(ctx)
    if item is None or item.status != "open":
        return None
    mine = await ctx.uow.registrations.get(item.id, ctx.delivery.recipient)
    if mine is not None and mine.status != "cancelled":
        return None  # already registered: no need to invite
    return Message(text=t("sessions.invitation_text", lang, code=item.code),
                   blocks=blocks.build_invitation(item, case, lang, ctx.deps.tz))


async def render_announcement(ctx: RenderContext) -> Message | None:
    item = await ctx.uow.sessions.get(int(ctx.payload.get("session_id", 0)))
    if item is None or item.status != "open":
        return None
    case = await ctx.uow.cases.get(item.case_id) if item.case_id else None
    return Message(text=t("sessions.invitation_text", "ja", code=item.code),
                   blocks=blocks.build_announcement(item, case, "ja", ctx.deps.tz, await _confirmed(ctx, item)),
                   channel=ctx.delivery.recipient)


async def _confirmed(ctx: RenderContext, item: CaseSession) -> int:
    counts = (await ctx.uow.registrations.status_counts([item.id])).get(item.id, {})
    return counts.get("confirmed", 0) + counts.get("attended", 0)


async def render_post_refresh(ctx: RenderContext) -> Message | None:
    """An announcement or invitation already posted, brought up to date in place (chat.update):
    after an edit, a cancellation, or joins and leaves (the seats left)."""
    post = await ctx.uow.outbox.get(int(ctx.payload.get("post_id", 0)))
    item = await ctx.uow.sessions.get(int(ctx.payload.get("session_id", 0)))
    if post is None or item is None or not (post.slack_channel and post.slack_ts):
        return None  # not out yet: it will be rendered as the session is when it goes
    case = await ctx.uow.cases.get(item.case_id) if item.case_id else None
    if post.kind == DeliveryKind.SESSION_ANNOUNCEMENT:
        built = blocks.build_announcement(item, case, "ja", ctx.deps.tz, await _confirmed(ctx, item))
        lang = "ja"
    else:
        lang = await ctx.uow.coordinators.lang_of(post.recipient)
        built = blocks.build_invitation(item, case, lang, ctx.deps.tz)
    return Message(text=t("sessions.invitation_text", lang, code=item.code), blocks=built,
                   replaces=(post.slack_channel, post.slack_ts))


async def render_promoted(ctx: RenderContext) -> Message | None:
    item, case, lang = await _context(ctx)
    reg = await ctx.uow.registrations.get(item.id, ctx.delivery.recipient) if item else None
    if item is None or reg is None or reg.status != "confirmed":
        return None
    return Message(text=t("sessions.promoted", lang, code=item.code), blocks=blocks.build_promoted(item, case, lang, ctx.deps.tz),
                   upload=calendar_invite(item, case, lang, ctx))


async def render_lottery_waitlisted(ctx: RenderContext) -> Message | None:
    item, _case, lang = await _context(ctx)
    if item is None:
        return None
    return Message(text=t("sessions.lottery_waitlisted", lang, code=item.code),
                   blocks=blocks.build_lottery_waitlisted(item, lang))


async def _group_members(ctx: RenderContext, item: CaseSession, group_no: int | None, exclude: str | None) -> list[str]:
    regs = await ctx.uow.registrations.for_session(item.id, "confirmed", "attended")
    people = await ctx.uow.coordinators.many(r.user_id for r in regs)
    names = []
    for reg in regs:
        if reg.group_no == group_no and reg.user_id != exclude:
            person = people.get(reg.user_id)
            names.append(person.name if person and person.name else reg.user_id)
    return names


async def render_confirmed(ctx: RenderContext) -> Message | None:
    item, case, lang = await _context(ctx)
    reg = await ctx.uow.registrations.get(item.id, ctx.delivery.recipient) if item else None
    if item is None or reg is None or reg.status not in ("confirmed", "attended") or item.status != "confirmed":
        return None
    members = await _group_members(ctx, item, reg.group_no, ctx.delivery.recipient)
    return Message(text=t("sessions.confirmed_intro", lang, code=item.code),
                   blocks=blocks.build_confirmed(item, case, lang, ctx.deps.tz, reg.group_no, members,
                                                 ctx.deps.clock.now()),
                   upload=calendar_invite(item, case, lang, ctx))


async def render_facilitator_groups(ctx: RenderContext) -> Message | None:
    item, case, lang = await _context(ctx)
    if item is None or item.status != "confirmed":
        return None
    regs = await ctx.uow.registrations.for_session(item.id, "confirmed", "attended")
    people = await ctx.uow.coordinators.many(r.user_id for r in regs)
    groups: dict[int, list[str]] = {}
    for reg in regs:
        person = people.get(reg.user_id)
        groups.setdefault(reg.group_no or 0, []).append(person.name if person and person.name else reg.user_id)
    return Message(text=t("sessions.facilitator_intro", lang, code=item.code, title=""),
                   blocks=blocks.build_facilitator_groups(item, case, groups, lang, ctx.deps.tz))


async def render_cancelled(ctx: RenderContext) -> Message | None:
    item, case, lang = await _context(ctx)
    substitute_id = ctx.payload.get("substitute_id")
    substitute = await ctx.uow.sessions.get(int(substitute_id)) if substitute_id else None
    if item is None:
        return None
    if ctx.payload.get("by_staff"):
        reason = _reason(ctx)
        return Message(text=t("sessions.cancelled_by_staff", lang, code=item.code, title=""),
                       blocks=blocks.build_cancelled_by_staff(item, case, reason, lang, ctx.deps.tz))
    return Message(text=t("sessions.cancelled_intro", lang, code=item.code, title=""),
                   blocks=blocks.build_cancelled(item, case, substitute, lang, ctx.deps.tz))


def _reason(ctx: RenderContext) -> str:
    """The staff's reason for a cancellation, kept as ciphertext in the payload."""
    token = ctx.payload.get("reason_encrypted")
    if not token:
        return ""
    try:
        return ctx.uow.cipher.decrypt(str(token).encode()).decode()
    except Exception:  # noqa: BLE001 - a key rotated away: the notice goes out without its reason
        log.warning("delivery %s: the cancellation reason could not be decrypted", ctx.delivery.id)
        return ""


async def render_changed(ctx: RenderContext) -> Message | None:
    """`admin session edit` changed the session: what changed, and the session as it is now."""
    item, case, lang = await _context(ctx)
    reg = await ctx.uow.registrations.get(item.id, ctx.delivery.recipient) if item else None
    if item is None or reg is None or reg.status == "cancelled" or item.status not in ("open", "confirmed"):
        return None
    changed = [str(name) for name in ctx.payload.get("changed") or [] if name in blocks.CHANGE_LABELS]
    try:
        before_after = changes.open_changes(ctx.uow, ctx.payload.get("changes_encrypted"))
    except Exception:  # noqa: BLE001 - a key rotated away: the notice goes out without before → after
        log.warning("delivery %s: the change could not be decrypted", ctx.delivery.id)
        before_after = {}
    built = blocks.build_changed(item, case, changed, lang, ctx.deps.tz, before_after)
    return Message(text=_fallback(built, item.code), blocks=built,
                   upload=calendar_invite(item, case, lang, ctx) if reg.status == "confirmed" else None)


async def render_waitlist_confirmed(ctx: RenderContext) -> Message | None:
    """The session goes ahead and the person is still waiting: their place, and a promise kept by
    promote_next (a freed seat is offered at once)."""
    item, case, lang = await _context(ctx)
    reg = await ctx.uow.registrations.get(item.id, ctx.delivery.recipient) if item else None
    if item is None or reg is None or reg.status != "waitlisted" or item.status != "confirmed":
        return None
    waiting = await ctx.uow.registrations.for_session(item.id, "waitlisted")
    position = next((i for i, r in enumerate(waiting, 1) if r.id == reg.id), len(waiting))
    return Message(text=t("sessions.waitlist_confirmed", lang, code=item.code, position=position),
                   blocks=blocks.build_waitlist_confirmed(item, case, position, lang, ctx.deps.tz))


async def render_staff_notice(ctx: RenderContext) -> Message | None:
    """What the deadline (or a cancellation) decided, for the secretariat and the bureau's staff."""
    item, case, lang = await _context(ctx)
    if item is None:
        return None
    substitute_id = ctx.payload.get("substitute_id")
    substitute = await ctx.uow.sessions.get(int(substitute_id)) if substitute_id else None
    outcome = str(ctx.payload.get("outcome", ""))
    if outcome not in blocks.STAFF_OUTCOMES:
        return None
    notice = blocks.StaffNotice(outcome=outcome, participants=int(ctx.payload.get("participants") or 0),
                                groups=int(ctx.payload.get("groups") or 0),
                                waitlisted=int(ctx.payload.get("waitlisted") or 0),
                                registrants=int(ctx.payload.get("registrants") or 0), reason=_reason(ctx),
                                invited=int(ctx.payload.get("invited") or 0),
                                nationwide=bool(ctx.payload.get("nationwide")))
    built = blocks.build_staff_notice(item, case, substitute, notice, lang, ctx.deps.tz)
    return Message(text=_fallback(built, item.code), blocks=built)


async def render_roster_changed(ctx: RenderContext) -> Message | None:
    """For the facilitator: someone joined, left or moved up after the deadline."""
    item, case, lang = await _context(ctx)
    change = str(ctx.payload.get("change", ""))
    user = str(ctx.payload.get("user_id", ""))
    if item is None or item.status != "confirmed" or change not in ("joined", "waitlisted", "left", "promoted"):
        return None
    reg = await ctx.uow.registrations.get(item.id, user)
    counts = (await ctx.uow.registrations.status_counts([item.id])).get(item.id, {})
    built = blocks.build_roster_changed(item, case, user, change, reg.group_no if reg else None,
                                        counts.get("confirmed", 0) + counts.get("attended", 0),
                                        counts.get("waitlisted", 0), lang, ctx.deps.tz)
    return Message(text=_fallback(built, item.code), blocks=built)


async def render_session_message(ctx: RenderContext) -> Message | None:
    """`admin message S1 …` to one registrant (the text decrypted only now)."""
    item, case, lang = await _context(ctx)
    reg = await ctx.uow.registrations.get(item.id, ctx.delivery.recipient) if item else None
    if item is None or reg is None or reg.status not in changes.REGISTERED:
        return None
    try:
        text = ctx.uow.cipher.decrypt(str(ctx.payload.get("text_encrypted", "")).encode()).decode()
    except Exception:  # noqa: BLE001 - a key rotated away: better nothing than an empty message
        log.warning("delivery %s: the message could not be decrypted", ctx.delivery.id)
        return None
    built = blocks.build_session_message(item, case, str(ctx.payload.get("sender", "")), text, lang, ctx.deps.tz)
    return Message(text=_fallback(built, item.code), blocks=built)


def calendar_invite(item: CaseSession, case, lang: str, ctx: RenderContext) -> FileUpload:
    """An .ics with each confirmation, so the session lands in the person's calendar."""
    return FileUpload(filename=f"jirei-{item.code}.ics", content=session_ics(item, case.title if case else None, lang, ctx.deps.tz),
                      title=t("sessions.ics_title", lang, code=item.code))


async def render_session_reminder(ctx: RenderContext) -> Message | None:
    """Build the reminder now, or None when it is no longer owed."""
    payload = ctx.payload
    uow, user_id = ctx.uow, ctx.delivery.recipient
    session = await uow.sessions.get(int(payload.get("session_id", 0)))
    if session is None or session.status not in ACTIVE_SESSION_STATUSES:
        return None
    if payload.get("starts_at") != utc(session.starts_at).isoformat():
        return None  # the session moved; its reminders for the new time are separate rows
    role = payload.get("role", "participant")
    case = await uow.cases.get(session.case_id) if session.case_id is not None else None
    if role == "participant":
        registration = await uow.registrations.get(session.id, user_id)
        if registration is None or registration.status != "confirmed":
            return None
    elif role == "facilitator" and session.facilitator_user_id != user_id:
        return None
    elif role == "lecturer" and (case is None or case.lecturer_user_id != user_id):
        return None
    lang = await uow.coordinators.lang_of(user_id)
    view = ReminderView(
        session_code=session.code, title=session.title or (case.title if case else session.code),
        starts_at=session.starts_at, minutes=session.minutes, format=session.format, place=session.place,
        online_url=session.online_url, role=role, offset_minutes=int(payload.get("offset_minutes", 0)),
        contact=session.created_by if session.kind == "self_run" else None,
    )
    text, blocks = build_reminder(view, lang, ctx.deps.tz)
    return Message(text=text, blocks=blocks)
