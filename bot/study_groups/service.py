"""Toward self-organised study groups (DESIGN §2 items 7 and 10, issue 7).

- **Introductions.** When a session is held, each discussion group's members are introduced to
  each other in a group DM (a follow-up of a held session, bot/features.py AFTER_HELD, delivered through the outbox).
- **Matching.** `admin nudge` on demand, and a monthly run: eligible coordinators (active,
  nudges on, profile complete, pledged, not in an active study group, not nudged in the last
  30 days) are grouped by `bot.core.matching.propose_groups`, avoiding anyone grouped together in
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
spaces (bot/study_groups/jobs.py: creating conversations is not a message, so the outbox cannot
do it) and by the dispatcher that delivers what this module enqueues (bot/study_groups/messages.py).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo


from bot.core import matching
from bot.delivery import outbox
from bot.delivery.kinds import DeliveryKind
from bot.sessions import service as sessions
from bot.people.results import Actor
from bot.people.service import require_admin
from bot.core.refusal import Refusal
from bot.core.session_spec import SessionSpec
from bot.core.timefmt import format_date
from bot.study_groups.results import (MAX_GROUP, MIN_GROUP, PLACE_MAX, TITLE_MAX, MatchingReport, NudgeAnswer, Proposal,
                                      ProposeResult, GroupLine, ProposalLine, GroupsOverview)
from config.reference import find_theme
from storage.models import Case, CaseSession, Coordinator, Nudge, StudyGroup
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

NUDGE_CAP = timedelta(days=30)  # at most one nudge per person in this time
COOL_DOWN = timedelta(days=180)  # nobody is grouped again with the same people within this time
MATCHING_INTERVAL = timedelta(days=30)  # the monthly run
MATCHING_ACTION = "study_groups.matching"
# Nudges go out on weekdays in office hours, Japan time: a nudge at 22:00 is a nudge ignored.
NUDGE_HOURS = (time(10, 0), time(18, 0))


# A group DM holds at most 8 people besides the bot.
MAX_GROUP_DM = 8

PROPOSAL_MINUTES = 120
# The propose form's limits (the modal sets them as max_length too).
PROPOSAL_MIN_PARTICIPANTS = 3
PROPOSAL_MAX_CAPACITY = 30
PROPOSAL_MIN_LEAD = timedelta(days=2)
PROPOSAL_MAX_LEAD = timedelta(days=366)
PROPOSAL_DEADLINE_BEFORE = timedelta(days=1)
PROPOSAL_RELEASE_BEFORE = timedelta(days=3)


class StudyGroupError(Refusal):
    """A refusal the user can act on (a catalog key and its parameters)."""


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
        added = await outbox.enqueue(uow, kind=DeliveryKind.GROUP_INTRODUCTION, recipient=f"{item.code}:{group_no}",
                                     due_at=now, dedupe_key=f"intro:{item.code}:{group_no}", now=now,
                                     payload={"session_id": item.id, "group_no": group_no, "members": sorted(members)},
                                     session_id=item.id)
        introduced += int(added)
    if introduced:
        await uow.audit.record(now, "system", "study_groups.introduce", "ok", target=item.code, groups=introduced)
    return introduced


# --- matching ------------------------------------------------------------------------------------


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
            await outbox.enqueue(uow, kind=DeliveryKind.STUDY_GROUP_NUDGE, recipient=user_id, due_at=due_at,
                                 dedupe_key=f"nudge:{group.code}:{user_id}", now=now, payload={"nudge_id": nudge.id})
            report.nudged += 1
    already_told = await uow.study_group_activity.users_told_since(DeliveryKind.STUDY_GROUP_UNMATCHED, now - COOL_DOWN)
    for left_out in result.unmatched:
        report.unmatched[left_out.reason.value] += 1
        if left_out.user_id in already_told:
            continue  # told once per cool-down is enough; they are considered again every month
        await outbox.enqueue(uow, kind=DeliveryKind.STUDY_GROUP_UNMATCHED, recipient=left_out.user_id, due_at=due_at,
                             dedupe_key=f"unmatched:{left_out.user_id}:{now:%Y%m%d}", now=now,
                             payload={"reason": left_out.reason.value})
        report.told += 1
    await uow.audit.record(now, actor_id, MATCHING_ACTION, "ok", eligible=report.eligible,
                           groups=len(report.group_codes), nudged=report.nudged, told=report.told,
                           unmatched=dict(report.unmatched), closed=report.closed_groups)
    return report


async def run_matching_now(uow: UnitOfWork, now: datetime, tz: ZoneInfo, actor: Actor) -> MatchingReport:
    """`admin nudge`: the secretariat's on-demand run (admins only; it writes to many people)."""
    await require_admin(uow, now, actor, MATCHING_ACTION, refusal=StudyGroupError)
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


# --- answering a nudge ---------------------------------------------------------------------------


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
    await uow.outbox.cancel_pending(kinds=(DeliveryKind.STUDY_GROUP_NUDGE, DeliveryKind.STUDY_GROUP_UNMATCHED,
                                           DeliveryKind.SELF_RUN_INVITATION), recipient=actor.user_id)
    await uow.audit.record(now, actor.user_id, "study_group.stop", "ok", target=code)
    return NudgeAnswer("stopped", code)


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


def validate_proposal(form: ProposalForm, now: datetime) -> Proposal:
    title = " ".join(form.title.split())
    if not title or len(title) > TITLE_MAX:
        raise ProposalError("title", "groups.error.title", max=TITLE_MAX)
    theme = find_theme(form.theme) if form.theme else None
    if theme is None:
        raise ProposalError("theme", "groups.error.theme")
    place = " ".join(form.place.split())
    if place.lower() in ("online", "オンライン"):
        place = ""
    if len(place) > PLACE_MAX:
        raise ProposalError("place", "groups.error.place", max=PLACE_MAX)
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


def proposal_month(now: datetime, tz: ZoneInfo) -> datetime:
    """The start of the calendar month (Japan time) a proposal made `now` counts in."""
    return now.astimezone(tz).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def proposal_counter(uow: UnitOfWork, user_id: str) -> str:
    """Who a monthly proposal count belongs to: a keyed hash (HMAC under a key derived from the
    encryption key) of the Slack user id, never the id. It outlives forget-me until the month ends,
    so forgetting oneself and starting again does not reset the cap, and without the key nobody
    can tell whose it is."""
    return uow.cipher.keyed_digest(f"proposal-cap:{user_id}")


async def check_may_propose(uow: UnitOfWork, now: datetime, tz: ZoneInfo, actor: Actor,
                            per_month: int) -> Coordinator:
    """A complete profile, the pledge, and fewer than `per_month` proposals this calendar month
    (Japan time): each proposal invites the whole region by DM, so one person cannot flood it."""
    person = await uow.coordinators.get(actor.user_id)
    if person is None or not person.profile_complete:
        raise StudyGroupError("sessions.error.needs_profile")
    if person.pledge_accepted_at is None:
        raise StudyGroupError("sessions.error.needs_pledge")
    month = proposal_month(now, tz)
    proposed = await uow.proposal_counts.proposed(proposal_counter(uow, actor.user_id), f"{month:%Y-%m}")
    if proposed is None:  # nothing counted this month (or not since the counts were kept)
        proposed = await uow.sessions.count_proposed_by(actor.user_id, month)
    if proposed >= per_month:
        raise _proposal_limit(per_month, proposed, month, actor, tz)
    return person


def _proposal_limit(per_month: int, proposed: int, month: datetime, actor: Actor, tz: ZoneInfo) -> StudyGroupError:
    next_month = (month + timedelta(days=32)).replace(day=1)
    return StudyGroupError("groups.error.proposal_limit", limit=per_month, count=proposed,
                           next=format_date(next_month, actor.lang, tz))


async def take_proposal(uow: UnitOfWork, now: datetime, tz: ZoneInfo, actor: Actor, per_month: int) -> None:
    """Count this proposal in the month, atomically (storage ProposalCounts.take_one), or refuse
    it when the month's proposals are used up. Counts of past months are deleted on the way."""
    month = proposal_month(now, tz)
    key = f"{month:%Y-%m}"
    await uow.proposal_counts.forget_before(key)
    # Sessions already proposed this month before the count was kept (a count starts from them).
    already = await uow.sessions.count_proposed_by(actor.user_id, month)
    if not await uow.proposal_counts.take_one(proposal_counter(uow, actor.user_id), key, per_month,
                                              counted_before=already):
        raise _proposal_limit(per_month, per_month, month, actor, tz)


async def forget_past_proposal_counts(uow: UnitOfWork, now: datetime, tz: ZoneInfo) -> int:
    """Delete the proposal counts of months that have ended (the retention job, daily)."""
    return await uow.proposal_counts.forget_before(f"{proposal_month(now, tz):%Y-%m}")


async def propose_session(uow: UnitOfWork, now: datetime, tz: ZoneInfo, actor: Actor, proposal: Proposal,
                          *, per_month: int, group: StudyGroup | None = None) -> ProposeResult:
    """A self-run session the proposer facilitates (and takes part in), announced to their group and nearby.
    The group is the one given (a date poll's own group), else the proposer's most recent active one."""
    person = await check_may_propose(uow, now, tz, actor, per_month)
    await take_proposal(uow, now, tz, actor, per_month)
    if group is None:
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
        await outbox.enqueue(uow, kind=DeliveryKind.SELF_RUN_ANNOUNCEMENT, recipient=group.channel_id, due_at=now,
                             dedupe_key=f"self_run:{item.code}:{group.channel_id}", now=now,
                             payload={"session_id": item.id}, session_id=item.id)
    invited = 0
    due_at = next_sensible_time(now, tz)
    for neighbour in await _neighbours(uow, person, group):
        invited += int(await outbox.enqueue(
            uow, kind=DeliveryKind.SELF_RUN_INVITATION, recipient=neighbour, due_at=due_at,
            dedupe_key=f"invite:{item.code}:{neighbour}", now=now, payload={"session_id": item.id}, session_id=item.id))
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
