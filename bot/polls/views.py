"""What date polls show, read at send time: the table of answers and who still owes one (read
only: the rules that decide and write are in service.py, which reads through these too)."""

from __future__ import annotations

from bot.polls.results import ANSWERS, PollTable, SlotLine
from storage.models import DatePoll
from storage.uow import UnitOfWork


async def members_of(uow: UnitOfWork, group_id: int) -> list[str]:
    return [m.user_id for m in await uow.study_groups.members(group_id, "accepted")]


def table_key(poll: DatePoll) -> str:
    return f"poll:{poll.id}:table"


def ballot_key(poll: DatePoll, user_id: str) -> str:
    return f"poll:{poll.id}:ballot:{user_id}"


def note_of(uow: UnitOfWork, poll: DatePoll) -> str:
    return uow.cipher.decrypt(poll.note_encrypted).decode() if poll.note_encrypted else ""


async def table(uow: UnitOfWork, poll: DatePoll) -> PollTable:
    """Per slot who answered ○ △ ×, and the best slot (most ○, then △, then fewest ×, then earliest)."""
    lines = [SlotLine(slot) for slot in await uow.date_polls.slots(poll.id)]
    by_slot = {line.slot.id: line for line in lines}
    for answer in await uow.date_polls.answers(poll.id):
        line = by_slot.get(answer.slot_id)
        if line is not None and answer.answer in ANSWERS:
            getattr(line, answer.answer).append(answer.user_id)
    group = await uow.study_groups.get(poll.group_id)
    return PollTable(poll=poll, group=group, lines=lines, members=await members_of(uow, poll.group_id),
                     best_slot_id=best_slot(lines))


def best_slot(lines: list[SlotLine]) -> int | None:
    candidates = [line for line in lines if line.yes or line.maybe]
    if not candidates:
        return None
    # max() keeps the first of equals: slots are in time order, so the earliest wins a tie.
    return max(candidates, key=lambda line: line.score).slot.id


async def ballot_of(uow: UnitOfWork, poll_id: int, user_id: str) -> DatePoll | None:
    """The poll, if the person is (still) a member of its group: their DM with its selects is owed."""
    poll = await uow.date_polls.get(poll_id)
    if poll is None or user_id not in await members_of(uow, poll.group_id):
        return None
    return poll


async def still_silent(uow: UnitOfWork, poll_id: int, user_id: str) -> DatePoll | None:
    """The poll, if it is open and the person (still a member) has not answered: a nudge is owed."""
    poll = await uow.date_polls.get(poll_id)
    if poll is None or poll.status != "open":
        return None
    if user_id not in await members_of(uow, poll.group_id) or await uow.date_polls.has_answered(poll.id, user_id):
        return None
    return poll
