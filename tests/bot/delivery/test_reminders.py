"""Session reminders: scheduled per offset, moved with the session, dropped when it is off."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.delivery.kinds import DeliveryKind
from bot.sessions import reminders
from storage.models import Case, CaseSession, Coordinator, Delivery, Registration
from tests.bot.delivery.conftest import make_runtime

# Only the reminders are under test: make_runtime runs no periodic jobs (they would confirm the
# session at its deadline and send more), it only delivers.

FACILITATOR, LECTURER, PARTICIPANT, ENGLISH = "UFACIL", "ULECT", "UPART", "UENG"


@pytest.fixture
async def session_id(deps, fake, clock):
    now = clock.now()
    for user in (FACILITATOR, LECTURER, PARTICIPANT, ENGLISH):
        fake.add_user(user, user.lower())
    async with deps.uow() as uow:
        case = Case(title="就労ビザの更新", theme="work", lecturer_user_id=LECTURER, created_by="UADMIN", created_at=now)
        uow.session.add(case)
        await uow.flush()
        item = CaseSession(case_id=case.id, bureau="tokyo", starts_at=now + timedelta(days=10), minutes=120,
                           capacity=30, min_participants=1, deadline_at=now + timedelta(days=5), format="hybrid",
                           place="東京出入国在留管理局 会議室", facilitator_user_id=FACILITATOR,
                           online_url="https://meet.example/abc", created_by="UADMIN", created_at=now)
        uow.session.add(item)
        uow.session.add(Coordinator(slack_user_id=ENGLISH, lang="en", created_at=now, updated_at=now))
        await reminders.schedule_session_reminders(uow, item, now)
        for user in (PARTICIPANT, ENGLISH):
            uow.session.add(Registration(session_id=item.id, user_id=user, status="confirmed", registered_at=now,
                                         updated_at=now))
            await reminders.schedule_person_reminders(uow, item, user, "participant", now)
        return item.id


async def reminder_rows(deps) -> list[Delivery]:
    async with deps.uow() as uow:
        return list(await uow.session.scalars(select(Delivery).where(Delivery.kind == DeliveryKind.SESSION_REMINDER)
                                              .order_by(Delivery.id)))


async def test_one_reminder_per_offset_and_person_with_a_grace_period(deps, session_id, clock):
    rows = await reminder_rows(deps)
    async with deps.uow() as uow:
        starts_at = (await uow.session.get(CaseSession, session_id)).starts_at
    assert len(rows) == 4 * 3
    facilitator = [row for row in rows if row.recipient == FACILITATOR]
    assert [row.due_at for row in facilitator] == [starts_at - timedelta(days=7), starts_at - timedelta(days=1),
                                                   starts_at - timedelta(hours=1)]
    assert [row.grace_seconds for row in facilitator] == [12 * 3600, 8 * 3600, 20 * 60]
    assert facilitator[2].dedupe_key == f"reminder:S{session_id}:60:{FACILITATOR}@{starts_at:%Y%m%dT%H%MZ}"
    assert {row.payload["role"] for row in rows if row.recipient == LECTURER} == {"lecturer"}


async def test_scheduling_again_adds_nothing_and_past_offsets_are_left_out(deps, session_id, clock):
    async with deps.uow() as uow:
        item = await uow.session.get(CaseSession, session_id)
        assert await reminders.schedule_session_reminders(uow, item, clock.now()) == 0
        late = clock.now() + timedelta(days=9, hours=12)  # 12 hours before the start
        assert await reminders.schedule_person_reminders(uow, item, "UNEW", "participant", late) == 1


async def test_reminders_arrive_in_japan_time_in_each_persons_language(deps, fake, session_id, clock):
    runtime = make_runtime(deps)
    clock.advance(timedelta(days=3))  # exactly 7 days before 2027-04-11 09:00 JST

    result = await runtime.drain()

    assert result.sent == 4
    [japanese] = fake.dm_messages(PARTICIPANT)
    assert "2027年4月11日(日) 9:00" in japanese["text"] and f"S{session_id}" in japanese["text"]
    body = str(japanese["blocks"])
    assert "1週間後" in body and "東京出入国在留管理局" in body
    assert "https://meet.example/abc" not in body  # hybrid: participants meet in person
    assert "https://meet.example/abc" in str(fake.dm_messages(LECTURER)[0]["blocks"])
    [english] = fake.dm_messages(ENGLISH)
    assert english["text"].startswith("Reminder:") and "in a week" in str(english["blocks"])


async def test_a_cancelled_session_never_reminds_anyone(deps, fake, session_id, clock):
    async with deps.uow() as uow:
        item = await uow.session.get(CaseSession, session_id)
        item.status = "cancelled"
        assert await reminders.cancel_session(uow, session_id) == 12
    clock.advance(timedelta(days=10))
    await make_runtime(deps).drain()
    assert {row.status for row in await reminder_rows(deps)} == {"cancelled"}
    assert all(fake.dm_messages(user) == [] for user in (FACILITATOR, LECTURER, PARTICIPANT, ENGLISH))


async def test_a_cancelled_session_is_checked_again_at_send_time(deps, fake, session_id, clock):
    async with deps.uow() as uow:  # called off without its reminders being cancelled
        (await uow.session.get(CaseSession, session_id)).status = "cancelled"
    clock.advance(timedelta(days=3))
    result = await make_runtime(deps).drain()
    assert (result.sent, result.skipped) == (0, 4)
    assert all(fake.dm_messages(user) == [] for user in (FACILITATOR, LECTURER, PARTICIPANT, ENGLISH))


async def test_a_reminder_past_its_grace_period_is_skipped_not_sent_late(deps, fake, session_id, clock):
    runtime = make_runtime(deps)
    # The bot was down from before the 1-day reminder until 30 minutes before the start.
    clock.advance(timedelta(days=9, hours=23, minutes=30))

    result = await runtime.drain()

    # The 1-hour reminder is 30 minutes late too, beyond its 20-minute grace.
    assert (result.expired, result.sent) == (12, 0)
    rows = await reminder_rows(deps)
    assert {(row.status, row.last_error) for row in rows} == {("skipped", "expired")}
    assert fake.dm_messages(PARTICIPANT) == []


async def test_the_one_hour_reminder_goes_out_within_its_grace(deps, fake, session_id, clock):
    clock.advance(timedelta(days=9, hours=23, minutes=10))  # 10 minutes late for the 1-hour reminder
    result = await make_runtime(deps).drain()
    assert (result.sent, result.expired) == (4, 8)
    assert "1時間後" in str(fake.dm_messages(PARTICIPANT)[0]["blocks"])


async def test_a_moved_sessions_reminders_move(deps, fake, session_id, clock):
    runtime = make_runtime(deps)
    clock.advance(timedelta(days=3))
    assert (await runtime.drain()).sent == 4  # the 7-day reminders for the old date went out
    async with deps.uow() as uow:
        item = await uow.session.get(CaseSession, session_id)
        item.starts_at = item.starts_at + timedelta(days=7)
        new_start = item.starts_at
        await reminders.reschedule_session(uow, item, clock.now())

    rows = await reminder_rows(deps)
    pending = [row for row in rows if row.status == "pending"]
    assert {row.due_at for row in pending} == {new_start - timedelta(days=7), new_start - timedelta(days=1),
                                              new_start - timedelta(hours=1)}
    assert len([row for row in rows if row.status == "cancelled"]) == 8

    clock.advance(timedelta(days=6))  # the old 1-day reminder time: nothing
    assert (await runtime.drain()).sent == 0
    clock.advance(timedelta(days=1))  # 7 days before the new date
    assert (await runtime.drain()).sent == 4
    assert "2027年4月18日(日)" in fake.dm_messages(PARTICIPANT)[-1]["text"]


async def test_someone_who_leaves_gets_no_reminder_and_gets_them_back_on_rejoining(deps, fake, session_id, clock):
    async with deps.uow() as uow:
        assert await reminders.cancel_person(uow, session_id, PARTICIPANT) == 3
        registration = await uow.session.scalar(select(Registration).where(Registration.user_id == PARTICIPANT))
        registration.status = "cancelled"
    clock.advance(timedelta(days=3))
    await make_runtime(deps).drain()
    assert fake.dm_messages(PARTICIPANT) == []

    async with deps.uow() as uow:
        registration = await uow.session.scalar(select(Registration).where(Registration.user_id == PARTICIPANT))
        registration.status = "confirmed"
        item = await uow.session.get(CaseSession, session_id)
        assert await reminders.schedule_person_reminders(uow, item, PARTICIPANT, "participant", clock.now()) == 2
    clock.advance(timedelta(days=6))
    await make_runtime(deps).drain()
    assert len(fake.dm_messages(PARTICIPANT)) == 1


def test_grace_is_a_third_of_the_lead_time_capped_at_twelve_hours():
    assert reminders.grace_seconds_for(60) == 20 * 60
    assert reminders.grace_seconds_for(24 * 60) == 8 * 3600
    assert reminders.grace_seconds_for(7 * 24 * 60) == 12 * 3600
