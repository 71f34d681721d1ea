"""Date polls' storage and service on every backend: one answer row per person and slot however
many presses arrive at once, the organiser alone closing, and the outbox rows a poll owes."""

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.people.results import Actor
from bot.polls import service as polls
from bot.polls import views as poll_views
from bot.polls.results import PollDraft
from storage.models import DatePollAnswer, Delivery, StudyGroup

JST = ZoneInfo("Asia/Tokyo")
NOW = datetime(2027, 4, 1, 11, 0, tzinfo=JST)  # a Thursday
MEMBERS = ["UORG", "UMEM1", "UMEM2"]
STARTS = (datetime(2027, 4, 20, 14, 0, tzinfo=JST), datetime(2027, 4, 22, 19, 0, tzinfo=JST))


async def a_poll(uow_factory):
    async with uow_factory() as uow:
        group = await uow.study_groups.add(StudyGroup(bureau="osaka", themes=["education"], status="active",
                                                      channel_id="CGROUP1", created_at=NOW))
        for user in MEMBERS:
            member = await uow.study_groups.add_member(group.id, user)
            member.status = "accepted"
        await uow.study_groups.add_member(group.id, "UINVITED")  # invited, never accepted
        poll = await polls.create_poll(uow, NOW, JST, Actor("UORG"),
                                       PollDraft(title="4月", group_code=group.code, starts=STARTS, note="秘密のメモ"))
        slots = [s.id for s in await uow.date_polls.slots(poll.id)]
    return poll, slots


async def test_a_poll_posts_its_table_and_owes_one_nudge_per_silent_member(uow_factory):
    poll, slots = await a_poll(uow_factory)
    async with uow_factory() as uow:
        rows = list(await uow.session.scalars(select(Delivery).order_by(Delivery.id)))
        assert [(d.kind, d.recipient) for d in rows] == [
            ("poll_table", "CGROUP1"), ("poll_ballot", "UORG"), ("poll_ballot", "UMEM1"), ("poll_nudge", "UMEM1"),
            ("poll_ballot", "UMEM2"), ("poll_nudge", "UMEM2")]  # the selects by DM to every member, at once
        assert all(d.due_at == rows[0].due_at for d in rows if d.kind == "poll_ballot")
        nudge_at = rows[3].due_at.astimezone(JST)
        assert nudge_at == datetime(2027, 4, 2, 11, 0, tzinfo=JST)  # a day later, a Friday in office hours
        stored = await uow.date_polls.get(poll.id)
        assert b"\xe7\xa7\x98" not in stored.note_encrypted and poll_views.note_of(uow, stored) == "秘密のメモ"
        assert await poll_views.still_silent(uow, poll.id, "UMEM1") is not None
        assert await poll_views.still_silent(uow, poll.id, "UINVITED") is None  # not a member


async def test_presses_at_once_leave_one_answer_per_person_and_slot(uow_factory):
    poll, slots = await a_poll(uow_factory)
    now = NOW + timedelta(minutes=1)

    async def press(user: str, slot: int, choice: str):
        async with uow_factory() as uow:
            await polls.answer(uow, now, Actor(user), poll.id, slot, choice)

    presses = [press(MEMBERS[i % 3], slots[i % 2], ("yes", "maybe", "no")[i % 3]) for i in range(20)]
    await asyncio.gather(*presses)
    async with uow_factory() as uow:
        answers = list(await uow.session.scalars(select(DatePollAnswer)))
        assert len({(a.slot_id, a.user_id) for a in answers}) == len(answers) == 6
        table = await poll_views.table(uow, await uow.date_polls.get(poll.id))
        assert table.unanswered == []
        assert await poll_views.still_silent(uow, poll.id, "UMEM1") is None  # answered: no nudge owed
        refreshes = list(await uow.session.scalars(select(Delivery).where(Delivery.kind == "poll_table_refresh")))
        assert len(refreshes) == 1  # twenty presses in one window: one update


async def test_outsiders_cannot_answer_and_only_the_organiser_closes(uow_factory):
    poll, slots = await a_poll(uow_factory)
    with pytest.raises(polls.PollError) as err:
        async with uow_factory() as uow:
            await polls.answer(uow, NOW, Actor("UINVITED"), poll.id, slots[0], "yes")
    assert err.value.key == "polls.error.not_member"
    with pytest.raises(polls.PollError) as err:
        async with uow_factory() as uow:
            await polls.close_poll(uow, NOW, JST, Actor("UMEM1"), poll.id, slots[0], "reminder", per_month=3)
    assert err.value.key == "polls.error.not_organiser"
    async with uow_factory() as uow:
        closed = await polls.close_poll(uow, NOW, JST, Actor("UORG"), poll.id, slots[0], "reminder", per_month=3)
    assert closed.session is None and closed.poll.status == "closed"
    async with uow_factory() as uow:
        kinds = [(d.kind, d.due_at) for d in await uow.session.scalars(
            select(Delivery).where(Delivery.kind.in_(("poll_reminder", "poll_decided"))).order_by(Delivery.due_at))]
        assert kinds == [("poll_decided", NOW), ("poll_reminder", STARTS[0] - timedelta(days=1)),
                         ("poll_reminder", STARTS[0] - timedelta(hours=1))]
        assert await poll_views.still_silent(uow, poll.id, "UMEM1") is None  # closed: no nudge owed
    with pytest.raises(polls.PollError) as err:
        async with uow_factory() as uow:
            await polls.answer(uow, NOW, Actor("UMEM1"), poll.id, slots[0], "yes")
    assert err.value.key == "polls.error.closed"
