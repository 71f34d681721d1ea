"""Toward self-organised study groups (DESIGN §2 items 7 and 10, issue 7).

- **Introductions.** When a session is held, each discussion group's members are introduced to
  each other in a group DM (a follow-up of a held session, bot/features.py AFTER_HELD, delivered through the outbox).
- **Matching.** `admin nudge` on demand, and a monthly run: eligible coordinators (active,
  nudges on, profile complete, pledged, not in an active study group, not nudged in the last
  30 days) are grouped by `bot.matching.propose_groups`, avoiding anyone grouped together in
  the last 180 days. Each member of a proposed group gets a nudge DM (accept / not now / stop)
  on a weekday between 10:00 and 18:00 Japan time; everyone else eligible is told why not, at
  most once per cool-down.
- **Spaces.** Once three members accept, a private channel is opened for them (a group DM
  where the bot may not create channels) with the starter kit; later acceptors are added.
- **Proposals.** `/jirei propose`: a self-run session run by the same machinery as the
  official ones (registration, reminders, survey), facilitated by the proposer and announced
  to their study group and to coordinators nearby.
- **Overview and metrics.** `/jirei groups`, and `study_group_metrics` for the secretariat.

Who may do what is decided here; Slack is touched only by the periodic job that opens the
spaces (creating conversations is not a message, so the outbox cannot do it) and by the
dispatcher that delivers what this module enqueues.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError

from bot import matching
from bot.blocks import study_groups as blocks
from bot.blocks.kit import escape
from bot.delivery import outbox
from bot.delivery.renderers import Message, RenderContext
from bot.deps import Deps
from bot.i18n import t
from bot.services import sessions
from bot.services.people import Actor
from bot.services.sessions import SessionError, SessionSpec
from bot.timefmt import format_date
from config.reference import find_theme
from storage.models import Case, CaseSession, Coordinator, Nudge, StudyGroup
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

MIN_GROUP, MAX_GROUP = 3, 6
NUDGE_CAP = timedelta(days=30)  # at most one nudge per person in this time
COOL_DOWN = timedelta(days=180)  # nobody is grouped again with the same people within this time
MATCHING_INTERVAL = timedelta(days=30)  # the monthly run
MATCHING_ACTION = "study_groups.matching"
# Nudges go out on weekdays in office hours, Japan time: a nudge at 22:00 is a nudge ignored.
NUDGE_HOURS = (time(10, 0), time(18, 0))

INTRODUCTION_KIND = "group_introduction"
NUDGE_KIND = "study_group_nudge"
UNMATCHED_KIND = "study_group_unmatched"
KIT_KIND = "study_group_kit"
WELCOME_KIND = "study_group_welcome"
INVITATION_KIND = "self_run_invitation"
ANNOUNCEMENT_KIND = "self_run_announcement"

# A group DM holds at most 8 people besides the bot.
MAX_GROUP_DM = 8
SPACE_RETRY = timedelta(minutes=5)
# How long a process may take to open a group's space before another one may try.
SPACE_CLAIM = timedelta(minutes=10)

PROPOSAL_MINUTES = 120
PROPOSAL_MIN_PARTICIPANTS = 3
PROPOSAL_MAX_CAPACITY = 30
PROPOSAL_MIN_LEAD = timedelta(days=2)
PROPOSAL_MAX_LEAD = timedelta(days=366)
PROPOSAL_DEADLINE_BEFORE = timedelta(days=1)
PROPOSAL_RELEASE_BEFORE = timedelta(days=3)

# Slack answers after which no retry helps the bot create a channel: use a group DM instead.
TRANSIENT_SLACK_ERRORS = frozenset({"ratelimited", "rate_limited", "internal_error", "fatal_error",
                                    "service_unavailable", "request_timeout", "transport_error"})


class StudyGroupError(SessionError):
    """A refusal the user can act on (a catalog key and its parameters)."""


class IntroductionNotAddressed(RuntimeError):
    """An introduction reached the dispatcher before its group DM was opened (never expected)."""


# --- time --------------------------------------------------------------------------------------


def next_sensible_time(now: datetime, tz: ZoneInfo) -> datetime:
    """`now` if it falls on a weekday between 10:00 and 18:00 in `tz`, else the next 10:00 of a weekday."""
    local = now.astimezone(tz)
    opens_at, closes_at = NUDGE_HOURS
    for days_ahead in range(8):
        day = local.date() + timedelta(days=days_ahead)
        if day.weekday() >= 5:
            continue
        opens = datetime.combine(day, opens_at, tz)
        if local < opens:
            return opens.astimezone(timezone.utc)
        if local < datetime.combine(day, closes_at, tz):
            return now
    raise AssertionError("a week always has a weekday")


def _lang_for(people: list[Coordinator | None]) -> str:
    """A shared conversation is in English only when everyone in it chose English."""
    known = [p for p in people if p is not None]
    return "en" if known and all(p.lang == "en" for p in known) else "ja"


# --- introductions after a session ---------------------------------------------------------------


async def introduce_discussion_groups(uow: UnitOfWork, now: datetime, item: CaseSession) -> int:
    """A held session's discussion groups, each introduced in a group DM. Returns how many."""
    if item.kind == "self_run":
        return 0  # its people already share a study group's space
    groups: dict[int, list[str]] = {}
    for reg in await sessions.attendees(uow, item):
        if reg.group_no is not None:
            groups.setdefault(reg.group_no, []).append(reg.user_id)
    introduced = 0
    for group_no, members in sorted(groups.items()):
        if not 2 <= len(members) <= MAX_GROUP_DM:
            log.info("introduction skipped", extra={"session": item.code, "group": group_no, "size": len(members)})
            continue
        # The recipient is a placeholder until the space job opens the group DM (see below).
        added = await outbox.enqueue(uow, kind=INTRODUCTION_KIND, recipient=f"{item.code}:{group_no}", due_at=now,
                                     dedupe_key=f"intro:{item.code}:{group_no}", now=now,
                                     payload={"session_id": item.id, "group_no": group_no, "members": sorted(members)},
                                     session_id=item.id)
        introduced += int(added)
    if introduced:
        await uow.audit.record(now, "system", "study_groups.introduce", "ok", target=item.code, groups=introduced)
    return introduced



# --- matching ------------------------------------------------------------------------------------


@dataclass
class MatchingReport:
    eligible: int = 0
    group_codes: list[str] = field(default_factory=list)
    nudged: int = 0
    nudges_due_at: datetime | None = None
    unmatched: Counter = field(default_factory=Counter)
    told: int = 0
    closed_groups: int = 0


def to_candidate(person: Coordinator) -> matching.Candidate:
    affiliation = person.affiliation if person.affiliation in ("public", "private") else None
    return matching.Candidate(user_id=person.slack_user_id, bureau=person.bureau or "",
                              themes=frozenset(person.themes or []), affiliation=affiliation,
                              online_ok=bool(person.online_ok))


async def eligible_people(uow: UnitOfWork, now: datetime) -> list[Coordinator]:
    """Active, nudges on, profile complete, pledged, not in an active group, under the frequency cap."""
    in_groups = await uow.study_groups.users_in_active_groups()
    recently_nudged = await uow.nudges.users_nudged_since(now - NUDGE_CAP)
    return [p for p in await uow.coordinators.active()
            if p.nudges_enabled and p.profile_complete and p.pledge_accepted_at is not None
            and p.slack_user_id not in in_groups and p.slack_user_id not in recently_nudged]


async def _close_stale_groups(uow: UnitOfWork, now: datetime) -> int:
    """Forming groups that never reached three acceptances in a month are let go."""
    forming = [g for g in await uow.study_groups.with_status("forming") if g.created_at <= now - NUDGE_CAP]
    counts = await uow.study_groups.accepted_counts([g.id for g in forming])
    closed = 0
    for group in forming:
        if counts.get(group.id, 0) < MIN_GROUP:
            group.status = "closed"
            closed += 1
    return closed


async def run_matching(uow: UnitOfWork, now: datetime, tz: ZoneInfo, *, actor_id: str = "system") -> MatchingReport:
    """Propose groups among everyone eligible, nudge their members, tell the rest why not."""
    report = MatchingReport(closed_groups=await _close_stale_groups(uow, now))
    await uow.flush()
    people = await eligible_people(uow, now)
    report.eligible = len(people)
    recent = await uow.study_groups.groupings_since(now - COOL_DOWN)
    # The day is the seed: a second run on the same day proposes the same groups.
    result = matching.propose_groups([to_candidate(p) for p in people], recent, MIN_GROUP, MAX_GROUP,
                                     seed=now.astimezone(tz).date().toordinal())
    due_at = next_sensible_time(now, tz)
    report.nudges_due_at = due_at
    for proposed in result.groups:
        group = await uow.study_groups.add(StudyGroup(bureau=proposed.bureau, themes=sorted(proposed.shared_themes),
                                                      status="forming", created_at=now))
        report.group_codes.append(group.code)
        for user_id in proposed.members:
            await uow.study_groups.add_member(group.id, user_id)
            nudge = await uow.nudges.add(Nudge(group_id=group.id, user_id=user_id, status="sent", sent_at=now))
            await outbox.enqueue(uow, kind=NUDGE_KIND, recipient=user_id, due_at=due_at,
                                 dedupe_key=f"nudge:{group.code}:{user_id}", now=now, payload={"nudge_id": nudge.id})
            report.nudged += 1
    already_told = await uow.study_group_activity.users_told_since(UNMATCHED_KIND, now - COOL_DOWN)
    for left_out in result.unmatched:
        report.unmatched[left_out.reason.value] += 1
        if left_out.user_id in already_told:
            continue  # told once per cool-down is enough; they are considered again every month
        await outbox.enqueue(uow, kind=UNMATCHED_KIND, recipient=left_out.user_id, due_at=due_at,
                             dedupe_key=f"unmatched:{left_out.user_id}:{now:%Y%m%d}", now=now,
                             payload={"reason": left_out.reason.value})
        report.told += 1
    await uow.audit.record(now, actor_id, MATCHING_ACTION, "ok", eligible=report.eligible,
                           groups=len(report.group_codes), nudged=report.nudged, told=report.told,
                           unmatched=dict(report.unmatched), closed=report.closed_groups)
    return report


async def run_matching_now(uow: UnitOfWork, now: datetime, tz: ZoneInfo, actor: Actor) -> MatchingReport:
    """`admin nudge`: the secretariat's on-demand run (admins only; it writes to many people)."""
    if not actor.is_admin:
        await uow.audit.record(now, actor.user_id, MATCHING_ACTION, "refused")
        raise StudyGroupError("auth.admin_only")
    return await run_matching(uow, now, tz, actor_id=actor.user_id)


async def matching_due(uow: UnitOfWork, now: datetime) -> bool:
    """Thirty days after the last run; before any run, thirty days after the first held session.

    Starting from the first held session rather than from installation means nobody is nudged
    before anyone has met at a session, and a fresh install sends nothing unasked.
    """
    last = await uow.study_group_activity.last_matching_run(MATCHING_ACTION)
    if last is None:
        last = await uow.study_group_activity.first_session_held_at()
        if last is None:
            return False
    return now >= last + MATCHING_INTERVAL


async def monthly_matching(deps: Deps) -> int:
    now = deps.clock.now()
    async with deps.uow() as uow:
        if not await matching_due(uow, now):
            return 0
        # Two processes ticking together: the first to claim the day's key runs the matching.
        if not await uow.processed.first_time(f"{MATCHING_ACTION}:{now:%Y%m%d}", now):
            return 0
        report = await run_matching(uow, now, deps.tz)
    log.info("study-group matching ran", extra={"groups": len(report.group_codes), "nudged": report.nudged})
    deps.wake_dispatcher()
    return report.nudged


# --- answering a nudge ---------------------------------------------------------------------------


@dataclass
class NudgeAnswer:
    outcome: str  # accepted | later | stopped | already_accepted | already_stopped | closed
    group_code: str
    accepted: int = 0
    needed: int = MIN_GROUP


async def answer_nudge(uow: UnitOfWork, now: datetime, actor: Actor, nudge_id: int, answer: str) -> NudgeAnswer:
    """accept, later (not now) or stop. Only the person nudged may answer their nudge."""
    nudge = await uow.nudges.get(nudge_id)
    if nudge is None or nudge.user_id != actor.user_id:
        await uow.audit.record(now, actor.user_id, f"study_group.{answer}", "refused", target=f"N{nudge_id}")
        raise StudyGroupError("groups.error.not_your_nudge")
    group = await uow.study_groups.get(nudge.group_id)
    member = await uow.study_groups.member(nudge.group_id, actor.user_id)
    code = group.code if group else "G?"
    if answer == "stop":
        return await _stop(uow, now, actor, nudge, member, code)
    if nudge.status in ("accepted", "stopped"):
        return NudgeAnswer(f"already_{nudge.status}", code,
                           await _accepted_count(uow, nudge.group_id))
    if group is None or group.status == "closed":
        return NudgeAnswer("closed", code)
    nudge.responded_at = now
    if answer == "accept":
        nudge.status = "accepted"
        if member is not None:
            member.status = "accepted"
    else:
        nudge.status = "later"
        if member is not None:
            member.status = "declined"
    await uow.flush()
    accepted = await _accepted_count(uow, group.id)
    await uow.audit.record(now, actor.user_id, f"study_group.{answer}", "ok", target=code, accepted=accepted)
    return NudgeAnswer("accepted" if answer == "accept" else "later", code, accepted)


async def _accepted_count(uow: UnitOfWork, group_id: int) -> int:
    return (await uow.study_groups.accepted_counts([group_id])).get(group_id, 0)


async def _stop(uow: UnitOfWork, now: datetime, actor: Actor, nudge: Nudge, member, code: str) -> NudgeAnswer:
    """No more nudges of any kind: the switch is the profile's `nudges`, so it can be turned back on."""
    person = await uow.coordinators.get(actor.user_id)
    if person is not None:
        person.nudges_enabled, person.updated_at = False, now
    if nudge.status in ("sent", "later"):
        nudge.status, nudge.responded_at = "stopped", now
        if member is not None and member.status == "invited":
            member.status = "declined"
    for other in await uow.nudges.open_for_user(actor.user_id):
        other.status, other.responded_at = "stopped", now
    await outbox.cancel_pending(uow, kinds=(NUDGE_KIND, UNMATCHED_KIND, INVITATION_KIND), recipient=actor.user_id)
    await uow.audit.record(now, actor.user_id, "study_group.stop", "ok", target=code)
    return NudgeAnswer("stopped", code)


# --- Slack spaces (the periodic job) -------------------------------------------------------------


@dataclass(frozen=True)
class Space:
    channel_id: str
    kind: str  # private_channel | group_dm


def _slack_error(exc: Exception) -> str:
    if isinstance(exc, SlackApiError):
        return str((exc.response or {}).get("error") or "unknown_error")
    return "transport_error"


SLACK_FAILURES = (SlackApiError, SlackClientError, aiohttp.ClientError, asyncio.TimeoutError)


async def open_group_dm(client, members: list[str]) -> str:
    answer = await client.conversations_open(users=",".join(members))
    return answer["channel"]["id"]


def channel_name(group: StudyGroup, attempt: int) -> str:
    """jirei-g3-osaka, then jirei-g3-osaka-2 … (lowercase, no spaces: Slack's rule for names)."""
    base = f"jirei-{group.code.lower()}-{(group.bureau or 'online').lower()}"
    return base if attempt == 0 else f"{base}-{attempt + 1}"


async def open_space(client, group: StudyGroup, members: list[str]) -> Space | None:
    """A private channel with the members; a group DM if channels cannot be created; None to retry later."""
    for attempt in range(5):
        try:
            created = await client.conversations_create(name=channel_name(group, attempt), is_private=True)
        except SLACK_FAILURES as exc:
            error = _slack_error(exc)
            if error == "name_taken":
                continue
            if error in TRANSIENT_SLACK_ERRORS:
                log.warning("study group %s: channel creation failed: %s", group.id, error)
                return None
            log.info("study group %s: no channel (%s), using a group DM", group.id, error)
            break
        else:
            return Space(created["channel"]["id"], "private_channel")
    try:
        return Space(await open_group_dm(client, members), "group_dm")
    except SLACK_FAILURES as exc:
        log.warning("study group %s: group DM failed: %s", group.id, _slack_error(exc))
        return None


async def open_study_group_spaces(deps: Deps) -> int:
    """Open what the outbox cannot: group DMs for introductions, spaces for groups that formed."""
    now = deps.clock.now()
    done = await _address_introductions(deps, now)
    done += await _open_group_spaces(deps, now)
    done += await _add_newcomers(deps, now)
    if done:
        deps.wake_dispatcher()
    return done


async def _address_introductions(deps: Deps, now: datetime) -> int:
    async with deps.uow() as uow:
        waiting = [(row.id, list((row.payload or {}).get("members", [])))
                   for row in await uow.study_group_activity.pending_deliveries(INTRODUCTION_KIND)
                   if not (row.payload or {}).get("channel")]
    addressed = 0
    for delivery_id, members in waiting:
        try:
            channel = await open_group_dm(deps.client, members)
        except SLACK_FAILURES as exc:
            log.warning("introduction %s: group DM failed: %s", delivery_id, _slack_error(exc))
            async with deps.uow() as uow:
                await uow.study_group_activity.postpone_delivery(delivery_id, now + SPACE_RETRY)
            continue
        async with deps.uow() as uow:
            addressed += int(await uow.study_group_activity.address_delivery(delivery_id, channel))
    return addressed


async def _open_group_spaces(deps: Deps, now: datetime) -> int:
    async with deps.uow() as uow:
        forming = await uow.study_groups.with_status("forming")
        counts = await uow.study_groups.accepted_counts([g.id for g in forming])
    ready = [g.id for g in forming if counts.get(g.id, 0) >= MIN_GROUP and g.channel_id is None]
    opened = 0
    for group_id in ready:
        claimed = await _claim_space(deps, group_id, now)
        if claimed is None:
            continue
        group, user_ids = claimed
        # Slack is asked with no transaction open; the claim keeps a second process away meanwhile.
        space = await open_space(deps.client, group, user_ids)
        invited = space is not None and (space.kind == "group_dm"
                                         or await _invite(deps.client, group, space.channel_id, user_ids))
        async with deps.uow() as uow:
            group = await uow.study_groups.get(group_id, lock=True)
            if group is None or group.channel_id is not None:
                continue
            group.space_claimed_until = None
            if space is None:
                continue  # tried again on the next run
            group.channel_id, group.status = space.channel_id, "active"
            if invited:
                for member in await uow.study_groups.members(group.id, "accepted"):
                    if member.user_id in user_ids:
                        member.joined_at = now
            # Otherwise the newcomers step invites them on a later run; the kit waits in the channel.
            await outbox.enqueue(uow, kind=KIT_KIND, recipient=space.channel_id, due_at=now,
                                 dedupe_key=f"kit:{group.code}:{space.channel_id}", now=now,
                                 payload={"group_id": group.id})
            await uow.audit.record(now, "system", "study_group.space", "ok", target=group.code, kind=space.kind,
                                   members=len(user_ids))
            opened += 1
    return opened


async def _claim_space(deps: Deps, group_id: int, now: datetime) -> tuple[StudyGroup, list[str]] | None:
    """The group (if still waiting for its space and not claimed by another process) and who accepted."""
    async with deps.uow() as uow:
        group = await uow.study_groups.get(group_id, lock=True)
        if group is None or group.status != "forming" or group.channel_id is not None:
            return None
        if group.space_claimed_until is not None and group.space_claimed_until > now:
            return None
        group.space_claimed_until = now + SPACE_CLAIM
        return group, [m.user_id for m in await uow.study_groups.members(group.id, "accepted")]


async def _invite(client, group: StudyGroup, channel: str, user_ids: list[str]) -> bool:
    try:
        await client.conversations_invite(channel=channel, users=",".join(user_ids))
    except SLACK_FAILURES as exc:
        log.warning("study group %s: invite failed: %s", group.id, _slack_error(exc))
        return False
    return True


@dataclass(frozen=True)
class NewcomersAdded:
    channel: str  # where the newcomers are now
    kind: str | None  # KIT_KIND (a new space: the kit goes there), WELCOME_KIND, None (refused for good)
    error: str | None = None


async def _add_newcomers(deps: Deps, now: datetime) -> int:
    """Accepted members not yet in their group's space: invited to the channel, or a new group DM."""
    async with deps.uow() as uow:
        waiting: dict[int, tuple[StudyGroup, list[str]]] = {}
        for group, member in await uow.study_groups.awaiting_space():
            waiting.setdefault(group.id, (group, []))[1].append(member.user_id)
    added = 0
    for group_id, (group, newcomers) in waiting.items():
        outcome = await _bring_in(deps, group, newcomers)
        if outcome is None:
            continue
        async with deps.uow() as uow:
            current = await uow.study_groups.get(group_id, lock=True)
            if current is None or current.channel_id != group.channel_id:
                continue  # another process moved the group meanwhile; its newcomers are seen next run
            current.channel_id = outcome.channel
            if outcome.error:
                # Permanent (a deactivated account…): recorded, and not tried on every run.
                await uow.audit.record(now, "system", "study_group.invite", "error", target=current.code,
                                       error=outcome.error)
            for member in await uow.study_groups.members(current.id, "accepted"):
                if member.user_id in newcomers:
                    member.joined_at = now
            if outcome.kind == KIT_KIND:
                await outbox.enqueue(uow, kind=KIT_KIND, recipient=outcome.channel, due_at=now,
                                     dedupe_key=f"kit:{current.code}:{outcome.channel}", now=now,
                                     payload={"group_id": current.id})
            elif outcome.kind == WELCOME_KIND:
                await outbox.enqueue(uow, kind=WELCOME_KIND, recipient=outcome.channel, due_at=now,
                                     dedupe_key=f"welcome:{current.code}:{'-'.join(sorted(newcomers))}"[:200],
                                     now=now, payload={"group_id": current.id, "users": sorted(newcomers)})
            added += len(newcomers)
    return added


async def _bring_in(deps: Deps, group: StudyGroup, newcomers: list[str]) -> NewcomersAdded | None:
    """Slack's side of adding newcomers (no transaction open); None to try again on the next run.

    Safe to repeat: inviting someone already in is `already_in_channel`, and opening a group DM
    with the same people returns the same conversation."""
    try:
        await deps.client.conversations_invite(channel=group.channel_id, users=",".join(newcomers))
        return NewcomersAdded(group.channel_id, WELCOME_KIND)
    except SLACK_FAILURES as exc:
        error = _slack_error(exc)
    if error == "already_in_channel":
        return NewcomersAdded(group.channel_id, WELCOME_KIND)
    if error == "method_not_supported_for_channel_type":
        # A group DM cannot grow: open a new one with everyone and hand out the kit there.
        async with deps.uow() as uow:
            everyone = [m.user_id for m in await uow.study_groups.members(group.id, "accepted")]
        channel = await open_space_dm_only(deps.client, everyone)
        return NewcomersAdded(channel, KIT_KIND) if channel else None
    if error in TRANSIENT_SLACK_ERRORS:
        log.warning("study group %s: invite failed: %s", group.id, error)
        return None
    log.warning("study group %s: invite refused: %s", group.id, error)
    return NewcomersAdded(group.channel_id, None, error)


async def open_space_dm_only(client, members: list[str]) -> str | None:
    try:
        return await open_group_dm(client, members[:MAX_GROUP_DM])
    except SLACK_FAILURES as exc:
        log.warning("group DM failed: %s", _slack_error(exc))
        return None


# --- proposing a self-run session ----------------------------------------------------------------


@dataclass(frozen=True)
class ProposalForm:
    """The modal's values as typed; `validate_proposal` turns them into a session or a field error."""

    title: str
    theme: str
    place: str
    start: datetime | None
    capacity: str
    url: str = ""


class ProposalError(StudyGroupError):
    """A field of the propose modal is wrong: shown next to that field."""

    def __init__(self, field_name: str, key: str, **params: object) -> None:
        super().__init__(key, **params)
        self.field = field_name


@dataclass(frozen=True)
class Proposal:
    title: str
    theme: str
    place: str | None  # None: online
    start: datetime
    capacity: int
    url: str | None = None  # the meeting URL (online, or for those joining from afar)


def validate_proposal(form: ProposalForm, now: datetime) -> Proposal:
    title = " ".join(form.title.split())
    if not title or len(title) > blocks.TITLE_MAX:
        raise ProposalError("title", "groups.error.title", max=blocks.TITLE_MAX)
    theme = find_theme(form.theme) if form.theme else None
    if theme is None:
        raise ProposalError("theme", "groups.error.theme")
    place = " ".join(form.place.split())
    if place.lower() in ("online", "オンライン"):
        place = ""
    if len(place) > blocks.PLACE_MAX:
        raise ProposalError("place", "groups.error.place", max=blocks.PLACE_MAX)
    if form.start is None:
        raise ProposalError("start", "groups.error.start_missing")
    if form.start < now + PROPOSAL_MIN_LEAD:
        raise ProposalError("start", "groups.error.start_too_soon", days=PROPOSAL_MIN_LEAD.days)
    if form.start > now + PROPOSAL_MAX_LEAD:
        raise ProposalError("start", "groups.error.start_too_far")
    try:
        capacity = int(form.capacity.strip())
    except ValueError:
        raise ProposalError("capacity", "groups.error.capacity", low=PROPOSAL_MIN_PARTICIPANTS,
                            high=PROPOSAL_MAX_CAPACITY) from None
    if not PROPOSAL_MIN_PARTICIPANTS <= capacity <= PROPOSAL_MAX_CAPACITY:
        raise ProposalError("capacity", "groups.error.capacity", low=PROPOSAL_MIN_PARTICIPANTS,
                            high=PROPOSAL_MAX_CAPACITY)
    url = form.url.strip().strip("<>")
    if url and not re.match(r"^https://[^\s<>|]{3,1990}$", url):
        raise ProposalError("url", "groups.error.url")
    return Proposal(title=title, theme=theme.code, place=place or None, start=form.start, capacity=capacity,
                    url=url or None)


async def proposer_group(uow: UnitOfWork, user_id: str) -> StudyGroup | None:
    """The study group a proposal belongs to: the person's most recent active one."""
    for group, _member in await uow.study_groups.of_user(user_id, "accepted"):
        if group.status == "active":
            return group
    return None


async def check_may_propose(uow: UnitOfWork, now: datetime, tz: ZoneInfo, actor: Actor,
                            per_month: int) -> Coordinator:
    """A complete profile, the pledge, and fewer than `per_month` proposals this calendar month
    (Japan time): each proposal invites the whole region by DM, so one person cannot flood it."""
    person = await uow.coordinators.get(actor.user_id)
    if person is None or not person.profile_complete:
        raise StudyGroupError("sessions.error.needs_profile")
    if person.pledge_accepted_at is None:
        raise StudyGroupError("sessions.error.needs_pledge")
    month = now.astimezone(tz).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    proposed = await uow.sessions.count_proposed_by(actor.user_id, month)
    if proposed >= per_month:
        next_month = (month + timedelta(days=32)).replace(day=1)
        raise StudyGroupError("groups.error.proposal_limit", limit=per_month, count=proposed,
                              next=format_date(next_month, actor.lang, tz))
    return person


@dataclass
class ProposeResult:
    session: CaseSession
    group: StudyGroup | None
    invited: int
    case: Case  # where the proposer's material goes (the same check and pledge-gated release)


async def propose_session(uow: UnitOfWork, now: datetime, tz: ZoneInfo, actor: Actor, proposal: Proposal,
                          *, per_month: int) -> ProposeResult:
    """A self-run session the proposer facilitates (and takes part in), announced to their group and nearby."""
    person = await check_may_propose(uow, now, tz, actor, per_month)
    group = await proposer_group(uow, actor.user_id)
    online = proposal.place is None
    spec = SessionSpec(
        case=None, bureau="online" if online else (person.bureau or "online"), start=proposal.start,
        minutes=PROPOSAL_MINUTES, capacity=proposal.capacity, min_participants=PROPOSAL_MIN_PARTICIPANTS,
        deadline=proposal.start - PROPOSAL_DEADLINE_BEFORE,
        # Never a release time already past: a proposal two days ahead releases at once.
        release=max(now, proposal.start - PROPOSAL_RELEASE_BEFORE),
        format="online" if online else "in_person", facilitator=actor.user_id, kind="self_run",
        title=proposal.title, theme=proposal.theme, place=proposal.place, url=proposal.url,
        study_group_id=group.id if group else None,
    )
    item = await sessions.create_session(uow, now, actor, spec)
    # The session's own case: the proposer attaches its material through the same upload check,
    # and it is released only to confirmed participants who accepted the pledge.
    case = await uow.cases.add(Case(title=proposal.title, theme=proposal.theme, lecturer_user_id=None,
                                    created_by=actor.user_id, created_at=now))
    item.case_id = case.id
    item.announced_at = now  # announced below, to the group and nearby
    await sessions.join(uow, now, actor, item.code, elsewhere_ok=True)
    if group is not None and group.channel_id:
        await outbox.enqueue(uow, kind=ANNOUNCEMENT_KIND, recipient=group.channel_id, due_at=now,
                             dedupe_key=f"self_run:{item.code}:{group.channel_id}", now=now,
                             payload={"session_id": item.id}, session_id=item.id)
    invited = 0
    due_at = next_sensible_time(now, tz)
    for neighbour in await _neighbours(uow, person, group):
        invited += int(await outbox.enqueue(
            uow, kind=INVITATION_KIND, recipient=neighbour, due_at=due_at, dedupe_key=f"invite:{item.code}:{neighbour}",
            now=now, payload={"session_id": item.id}, session_id=item.id))
    await uow.audit.record(now, actor.user_id, "study_group.propose", "ok", target=item.code,
                           group=group.code if group else None, invited=invited)
    return ProposeResult(item, group, invited, case)


async def _neighbours(uow: UnitOfWork, proposer: Coordinator, group: StudyGroup | None) -> list[str]:
    """Pledged coordinators of the proposer's region who have not turned study-group messages off.

    Members of the proposer's group already see the post in their space.
    """
    in_group = {m.user_id for m in await uow.study_groups.members(group.id, "accepted")} if group else set()
    people = await uow.coordinators.in_bureau(proposer.bureau or "", pledged_only=True)
    return [p.slack_user_id for p in people
            if p.slack_user_id != proposer.slack_user_id and p.slack_user_id not in in_group
            and p.profile_complete and p.nudges_enabled]


# --- /jirei groups -------------------------------------------------------------------------------


@dataclass
class GroupLine:
    group: StudyGroup
    accepted: int
    needed: int = MIN_GROUP


@dataclass
class ProposalLine:
    session: CaseSession
    confirmed: int
    my_status: str | None


@dataclass
class GroupsOverview:
    groups: list[GroupLine]
    proposals: list[ProposalLine]


async def overview(uow: UnitOfWork, actor: Actor) -> GroupsOverview:
    """My groups (those I accepted), and open self-run proposals: my region, then online, then others."""
    mine = [g for g, _m in await uow.study_groups.of_user(actor.user_id, "accepted") if g.status != "closed"]
    counts = await uow.study_groups.accepted_counts([g.id for g in mine])
    proposals = [s for s in await uow.sessions.with_status("open", "confirmed") if s.kind == "self_run"]
    proposals.sort(key=lambda s: (0 if s.bureau == actor.bureau else 1 if s.bureau == "online" else 2, s.starts_at))
    lines = []
    for item in proposals:
        summary = await sessions.summarise(uow, item, actor.user_id)
        lines.append(ProposalLine(item, summary.confirmed, summary.my_status))
    return GroupsOverview([GroupLine(g, counts.get(g.id, 0)) for g in mine], lines)


# --- metrics for the secretariat -------------------------------------------------------------------


async def study_group_metrics(uow: UnitOfWork, since: datetime) -> dict:
    """Study-group activity since `since`: for the Home tab and the yearly review.

    Attendance counts those checked in, or everyone confirmed where no attendance was taken.
    """
    nudges = await uow.nudges.counts_since(since)
    held = await uow.study_group_activity.self_run_held_since(since)
    attendance = 0
    for item in held:
        attended, confirmed = await uow.study_group_activity.attendance(item.id)
        attendance += attended or confirmed
    return {
        "nudges_sent": sum(nudges.values()),
        "nudges_accepted": nudges.get("accepted", 0),
        "nudges_later": nudges.get("later", 0),
        "nudges_stopped": nudges.get("stopped", 0),
        "groups_formed": await uow.study_groups.count_formed_since(since),
        "self_run_proposed": await uow.study_group_activity.self_run_proposed_since(since),
        "self_run_held": len(held),
        "self_run_attendance": attendance,
    }


# --- renderers -----------------------------------------------------------------------------------


async def _person_lang(ctx: RenderContext) -> tuple[Coordinator | None, str]:
    person = await ctx.uow.coordinators.get(ctx.delivery.recipient)
    return person, person.lang if person else "ja"


async def render_nudge(ctx: RenderContext) -> Message | None:
    nudge = await ctx.uow.nudges.get(int(ctx.payload.get("nudge_id", 0)))
    person, lang = await _person_lang(ctx)
    if nudge is None or nudge.status != "sent" or person is None or not person.nudges_enabled:
        return None
    group = await ctx.uow.study_groups.get(nudge.group_id)
    if group is None or group.status == "closed":
        return None
    others = len(await ctx.uow.study_groups.members(group.id, "invited", "accepted")) - 1
    return Message(text=t("groups.nudge.title", lang),
                   blocks=blocks.build_nudge(nudge.id, max(others, 0), group.bureau, group.themes or [], lang))


async def render_unmatched(ctx: RenderContext) -> Message | None:
    person, lang = await _person_lang(ctx)
    reason = str(ctx.payload.get("reason", ""))
    if person is None or not person.nudges_enabled or reason not in {r.value for r in matching.UnmatchedReason}:
        return None
    return Message(text=t("groups.nudge.title", lang), blocks=blocks.build_unmatched(reason, lang))


async def _group_and_lang(ctx: RenderContext) -> tuple[StudyGroup | None, list[str], str]:
    group = await ctx.uow.study_groups.get(int(ctx.payload.get("group_id", 0)))
    if group is None:
        return None, [], "ja"
    members = [m.user_id for m in await ctx.uow.study_groups.members(group.id, "accepted")]
    people = await ctx.uow.coordinators.many(members)
    return group, members, _lang_for([people.get(u) for u in members])


async def render_kit(ctx: RenderContext) -> Message | None:
    group, members, lang = await _group_and_lang(ctx)
    if group is None or group.status == "closed" or group.channel_id != ctx.delivery.recipient:
        return None  # the group moved to another space; that space gets its own kit
    return Message(text=t("groups.kit.title", lang, code=group.code), channel=group.channel_id,
                   blocks=blocks.build_kit(group.code, group.bureau, group.themes or [], members, lang))


async def render_welcome(ctx: RenderContext) -> Message | None:
    group, _members, lang = await _group_and_lang(ctx)
    if group is None or group.channel_id != ctx.delivery.recipient:
        return None
    newcomers = [str(u) for u in ctx.payload.get("users", [])]
    return Message(text=t("groups.kit.title", lang, code=group.code), channel=group.channel_id,
                   blocks=blocks.build_welcome(group.code, newcomers, lang))


async def render_introduction(ctx: RenderContext) -> Message | None:
    channel = ctx.payload.get("channel")
    if not channel:
        raise IntroductionNotAddressed(ctx.delivery.id)
    item = await ctx.uow.sessions.get(int(ctx.payload.get("session_id", 0)))
    if item is None:
        return None
    members = [str(u) for u in ctx.payload.get("members", [])]
    people = await ctx.uow.coordinators.many(members)
    lang = _lang_for([people.get(u) for u in members])
    case = await ctx.uow.cases.get(item.case_id) if item.case_id else None
    if case is not None:
        title = escape(case.title)
    elif item.kind == "exchange":
        title = t("groups.intro.exchange", lang)
    else:
        title = escape(item.title or item.code)
    held_on = format_date(item.starts_at, lang, ctx.deps.tz)
    return Message(text=t("groups.intro.text", lang, code=item.code), channel=str(channel),
                   blocks=blocks.build_introduction(item.code, title, held_on, int(ctx.payload.get("group_no", 0)),
                                                    members, lang))


async def _open_self_run(ctx: RenderContext) -> CaseSession | None:
    item = await ctx.uow.sessions.get(int(ctx.payload.get("session_id", 0)))
    return item if item is not None and item.kind == "self_run" and item.status == "open" else None


async def render_self_run_invitation(ctx: RenderContext) -> Message | None:
    item = await _open_self_run(ctx)
    person, lang = await _person_lang(ctx)
    if item is None or person is None or not person.nudges_enabled:
        return None
    mine = await ctx.uow.registrations.get(item.id, person.slack_user_id)
    if mine is not None and mine.status != "cancelled":
        return None  # already registered
    group = await ctx.uow.study_groups.get(item.study_group_id) if item.study_group_id else None
    return Message(text=t("groups.proposal.invitation_text", lang, code=item.code),
                   blocks=blocks.build_self_run_invitation(item, group.code if group else None, lang, ctx.deps.tz))


async def render_self_run_announcement(ctx: RenderContext) -> Message | None:
    item = await _open_self_run(ctx)
    if item is None:
        return None
    group = await ctx.uow.study_groups.get(item.study_group_id) if item.study_group_id else None
    members = [m.user_id for m in await ctx.uow.study_groups.members(group.id, "accepted")] if group else []
    people = await ctx.uow.coordinators.many(members)
    lang = _lang_for([people.get(u) for u in members])
    return Message(text=t("groups.proposal.invitation_text", lang, code=item.code), channel=ctx.delivery.recipient,
                   blocks=blocks.build_self_run_announcement(item, lang, ctx.deps.tz))
