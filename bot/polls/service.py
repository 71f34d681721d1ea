"""Date polls for study groups (日程調整, issue 25): `/jirei poll`.

The organiser of a poll is any accepted member of an active study group: they offer 2–10
candidate slots; the group's members answer ○ (yes) △ (maybe) × (no) per slot, in the table posted
in the group's space or in the same selects sent to each of them by DM (one answer per person and
slot, wherever given), and may change their answers until the poll closes. The table is updated in
place at most once per REFRESH_WINDOW however many answer; a member's DM is brought up to date the
same way when they answered in the channel, and shows the poll closed once it is. A member who has not answered a day
later is nudged once, in office hours. The organiser alone closes the poll on one slot: it becomes
a self-run session through the study groups' proposal path (its reminders, material path and
pledge rule; bot/study_groups/service.py propose_session) or a plain reminder in the space.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from bot.core.refusal import Refusal
from bot.delivery import outbox
from bot.delivery.kinds import DeliveryKind
from bot.people.results import Actor
from bot.polls.views import ballot_key, members_of, table, table_key
from bot.polls.results import ANSWERS, MAX_SLOTS, MIN_SLOTS, NOTE_MAX, TITLE_MAX, PollClosed, PollDraft, PollTable
from bot.study_groups import service as study_groups
from bot.study_groups.results import Proposal
from storage.models import DatePoll, StudyGroup
from storage.uow import UnitOfWork

SOURCES = ("channel", "dm")  # where an answer was given: the table in the group's space, or a DM

REFRESH_WINDOW = timedelta(seconds=10)  # one chat.update per window, however many answer (Tier 3)
NUDGE_AFTER = timedelta(days=1)  # members still silent a day later get one nudge
REMINDERS_BEFORE = (timedelta(days=1), timedelta(hours=1))  # a plain reminder's moments
SELF_RUN_MAX_CAPACITY = study_groups.PROPOSAL_MAX_CAPACITY


class PollError(Refusal):
    """A refusal the user can act on (a catalog key and its parameters)."""


class PollFieldError(PollError):
    """A field of the poll modal is wrong: shown beside that field. `field` is title, group, note
    or slot:N (N from 1)."""

    def __init__(self, field_name: str, key: str, **params: object) -> None:
        super().__init__(key, **params)
        self.field = field_name


@dataclass(frozen=True)
class PollForm:
    """The modal's values as typed; `validate_poll` turns them into a draft or a field error."""

    title: str
    group_code: str
    slots: tuple[datetime | None, ...]  # one per slot field, None where left empty
    note: str = ""


def validate_poll(form: PollForm, now: datetime) -> PollDraft:
    title = " ".join(form.title.split())
    if not title or len(title) > TITLE_MAX:
        raise PollFieldError("title", "polls.error.title", max=TITLE_MAX)
    if not form.group_code:
        raise PollFieldError("group", "polls.error.group")
    filled = [(n, start) for n, start in enumerate(form.slots, start=1) if start is not None]
    if len(filled) > MAX_SLOTS:
        raise PollFieldError(f"slot:{filled[MAX_SLOTS][0]}", "polls.error.too_many_slots", max=MAX_SLOTS)
    seen: set[datetime] = set()
    for n, start in filled:
        start = start.astimezone(timezone.utc).replace(second=0, microsecond=0)
        if start <= now:
            raise PollFieldError(f"slot:{n}", "polls.error.slot_past")
        if start in seen:
            raise PollFieldError(f"slot:{n}", "polls.error.slot_duplicate")
        seen.add(start)
    if len(filled) < MIN_SLOTS:
        empty = next((n for n, start in enumerate(form.slots, start=1) if start is None), len(form.slots) + 1)
        empty = min(empty, MAX_SLOTS)
        raise PollFieldError(f"slot:{empty}", "polls.error.too_few_slots", min=MIN_SLOTS)
    note = form.note.strip()
    if len(note) > NOTE_MAX:
        raise PollFieldError("note", "polls.error.note", max=NOTE_MAX)
    return PollDraft(title=title, group_code=form.group_code, starts=tuple(sorted(seen)), note=note)


async def organiser_groups(uow: UnitOfWork, user_id: str) -> list[StudyGroup]:
    """The active study groups the person belongs to (accepted), with a space to post in."""
    return [g for g, _m in await uow.study_groups.of_user(user_id, "accepted")
            if g.status == "active" and g.channel_id]


async def check_may_poll(uow: UnitOfWork, actor: Actor) -> list[StudyGroup]:
    groups = await organiser_groups(uow, actor.user_id)
    if not groups:
        raise PollError("polls.error.no_group")
    return groups


async def create_poll(uow: UnitOfWork, now: datetime, tz: ZoneInfo, actor: Actor, draft: PollDraft) -> DatePoll:
    """The poll, its table posted to the group's space, the same selects to each member by DM, and one
    nudge per silent member a day later (all through the outbox, paced like every other DM)."""
    group = next((g for g in await check_may_poll(uow, actor) if g.code == draft.group_code), None)
    if group is None:
        await uow.audit.record(now, actor.user_id, "poll.create", "refused", target=draft.group_code)
        raise PollFieldError("group", "polls.error.not_your_group")
    poll = await uow.date_polls.add(DatePoll(
        group_id=group.id, organiser_user_id=actor.user_id, title=draft.title, status="open", created_at=now,
        note_encrypted=uow.cipher.encrypt(draft.note.encode()) if draft.note else None), list(draft.starts))
    await outbox.enqueue(uow, kind=DeliveryKind.POLL_TABLE, recipient=group.channel_id, due_at=now,
                         dedupe_key=table_key(poll), now=now, payload={"poll_id": poll.id})
    nudge_at = study_groups.next_sensible_time(now + NUDGE_AFTER, tz)
    for user_id in await members_of(uow, group.id):
        await outbox.enqueue(uow, kind=DeliveryKind.POLL_BALLOT, recipient=user_id, due_at=now,
                             dedupe_key=ballot_key(poll, user_id),
                             now=now, payload={"poll_id": poll.id})
        if user_id != actor.user_id:
            await outbox.enqueue(uow, kind=DeliveryKind.POLL_NUDGE, recipient=user_id, due_at=nudge_at,
                                 dedupe_key=f"poll:{poll.id}:nudge:{user_id}", now=now, payload={"poll_id": poll.id})
    await uow.audit.record(now, actor.user_id, "poll.create", "ok", target=poll.code, group=group.code,
                           slots=len(draft.starts))
    return poll


async def _open_poll(uow: UnitOfWork, poll_id: int, *, lock: bool = False) -> DatePoll:
    poll = await uow.date_polls.get(poll_id, lock=lock)
    if poll is None:
        raise PollError("polls.error.not_found")
    if poll.status != "open":
        raise PollError("polls.error.closed")
    return poll


async def answer(uow: UnitOfWork, now: datetime, actor: Actor, poll_id: int, slot_id: int, choice: str,
                 *, source: str = "channel") -> DatePoll:
    """A member's ○ △ × for one slot, given in the channel's table or in their DM: one answer either
    way (a change replaces the earlier one). The table follows; so does the member's DM when the
    answer was given in the channel (a select in the DM already shows what was chosen there)."""
    if choice not in ANSWERS or source not in SOURCES:
        raise PollError("polls.error.bad_answer")
    poll = await _open_poll(uow, poll_id)
    if actor.user_id not in await members_of(uow, poll.group_id):
        await uow.audit.record(now, actor.user_id, "poll.answer", "refused", target=poll.code)
        raise PollError("polls.error.not_member")
    if slot_id not in {slot.id for slot in await uow.date_polls.slots(poll.id)}:
        raise PollError("polls.error.not_found")
    await uow.date_polls.set_answer(poll.id, slot_id, actor.user_id, choice, now)
    await schedule_refresh(uow, now, poll)
    if source == "channel":
        await schedule_ballot_refresh(uow, now, poll, actor.user_id)
    return poll


async def schedule_refresh(uow: UnitOfWork, now: datetime, poll: DatePoll) -> None:
    """The table is updated at the end of this window: one chat.update per window, however many
    answer in it (rendered then, so it shows the answers of that moment)."""
    window = int(REFRESH_WINDOW.total_seconds())
    bucket = int(now.timestamp()) // window
    due = datetime.fromtimestamp((bucket + 1) * window, tz=timezone.utc)
    await _enqueue_refresh(uow, now, poll, due, f"poll:{poll.id}:refresh:{bucket}")


async def schedule_ballot_refresh(uow: UnitOfWork, now: datetime, poll: DatePoll, user_id: str) -> None:
    """The member's DM shows their answers at the end of this window (one chat.update per window)."""
    window = int(REFRESH_WINDOW.total_seconds())
    bucket = int(now.timestamp()) // window
    due = datetime.fromtimestamp((bucket + 1) * window, tz=timezone.utc)
    await outbox.enqueue(uow, kind=DeliveryKind.POLL_BALLOT_REFRESH, recipient=user_id, due_at=due, now=now,
                         dedupe_key=f"{ballot_key(poll, user_id)}:refresh:{bucket}", payload={"poll_id": poll.id})


async def _enqueue_refresh(uow: UnitOfWork, now: datetime, poll: DatePoll, due: datetime, key: str) -> None:
    group = await uow.study_groups.get(poll.group_id)
    if group is None or not group.channel_id:
        return
    await outbox.enqueue(uow, kind=DeliveryKind.POLL_TABLE_REFRESH, recipient=group.channel_id, due_at=due,
                         dedupe_key=key, now=now,
                         payload={"poll_id": poll.id})


async def check_may_close(uow: UnitOfWork, now: datetime, actor: Actor, poll_id: int) -> PollTable:
    """Only the poll's organiser closes it (anyone else is refused, and it is audited)."""
    poll = await _open_poll(uow, poll_id)
    if poll.organiser_user_id != actor.user_id:
        await uow.audit.record(now, actor.user_id, "poll.close", "refused", target=poll.code)
        raise PollError("polls.error.not_organiser")
    return await table(uow, poll)


async def check_decision(uow: UnitOfWork, now: datetime, tz: ZoneInfo, actor: Actor, poll_id: int, slot_id: int,
                         outcome: str, *, per_month: int) -> DatePollSlot:
    """The organiser's choice, checked before anything is done: the slot is still ahead and, for a
    self-run session, far enough ahead for the proposal path's rules (its registration deadline the
    day before, so PROPOSAL_MIN_LEAD at least), and the organiser may propose one (profile, pledge,
    the month's cap). A PollFieldError is shown beside its field in the close form, which stays open
    with the poll: nothing is lost, another slot or a plain reminder can be chosen."""
    if outcome not in ("session", "reminder"):
        raise PollFieldError("outcome", "polls.error.bad_outcome")
    await check_may_close(uow, now, actor, poll_id)
    slot = next((s for s in await uow.date_polls.slots(poll_id) if s.id == slot_id), None)
    if slot is None:
        raise PollError("polls.error.not_found")
    if slot.starts_at <= now:
        raise PollFieldError("slot", "polls.error.slot_gone")
    if outcome == "session":
        if slot.starts_at < now + study_groups.PROPOSAL_MIN_LEAD:
            raise PollFieldError("outcome", "polls.error.too_soon_for_session", days=study_groups.PROPOSAL_MIN_LEAD.days)
        if slot.starts_at > now + study_groups.PROPOSAL_MAX_LEAD:
            raise PollFieldError("outcome", "polls.error.too_far_for_session")
        try:
            await study_groups.check_may_propose(uow, now, tz, actor, per_month)
        except study_groups.StudyGroupError as err:
            raise PollFieldError("outcome", err.key, **err.params) from None
    return slot


async def close_poll(uow: UnitOfWork, now: datetime, tz: ZoneInfo, actor: Actor, poll_id: int, slot_id: int,
                     outcome: str, *, per_month: int) -> PollClosed:
    """The organiser's decision: the slot becomes a self-run session of the poll's own group
    (outcome "session", through the proposal path: reminders, material path, pledge rule) or a plain
    reminder in the group's space (outcome "reminder"). Members are told in the space."""
    poll = await _open_poll(uow, poll_id, lock=True)  # a second 決定 waits, then finds it closed
    slot = await check_decision(uow, now, tz, actor, poll.id, slot_id, outcome, per_month=per_month)
    group = await uow.study_groups.get(poll.group_id)
    session = result = None
    if outcome == "session":
        members = await members_of(uow, poll.group_id)
        capacity = min(SELF_RUN_MAX_CAPACITY, max(study_groups.PROPOSAL_MIN_PARTICIPANTS, len(members)))
        theme = (group.themes or ["other"])[0] if group else "other"
        proposal = Proposal(title=poll.title, theme=theme, place=None, start=slot.starts_at, capacity=capacity)
        result = await study_groups.propose_session(uow, now, tz, actor, proposal, per_month=per_month, group=group)
        session = result.session
        poll.session_id = session.id
    else:
        for before in REMINDERS_BEFORE:
            due = slot.starts_at - before
            if due > now and group is not None and group.channel_id:
                await outbox.enqueue(uow, kind=DeliveryKind.POLL_REMINDER, recipient=group.channel_id, due_at=due,
                                     dedupe_key=f"poll:{poll.id}:reminder:{int(before.total_seconds())}", now=now,
                                     payload={"poll_id": poll.id})
    poll.status, poll.outcome, poll.chosen_slot_id, poll.closed_at = "closed", outcome, slot.id, now
    if group is not None and group.channel_id:
        await outbox.enqueue(uow, kind=DeliveryKind.POLL_DECIDED, recipient=group.channel_id, due_at=now,
                             dedupe_key=f"poll:{poll.id}:decided", now=now, payload={"poll_id": poll.id})
    await _enqueue_refresh(uow, now, poll, now, f"poll:{poll.id}:refresh:closed")
    for user_id in await members_of(uow, poll.group_id):  # each DM shows the poll closed, its selects gone
        await outbox.enqueue(uow, kind=DeliveryKind.POLL_BALLOT_REFRESH, recipient=user_id, due_at=now, now=now,
                             dedupe_key=f"{ballot_key(poll, user_id)}:closed", payload={"poll_id": poll.id})
    await uow.audit.record(now, actor.user_id, "poll.close", "ok", target=poll.code, decided=outcome,
                           session=session.code if session else None)
    return PollClosed(poll, slot, session, result)


