"""A session's life for the staff, through the real AsyncApp: invisible and unjoinable until
announced, a warning on duplicates, `admin session edit` / `admin session cancel` / `admin case
edit` with the people concerned told and the reminders moved or dropped, the place on every card,
and a coordinator told before joining a session in another region."""

from datetime import timedelta

from sqlalchemy import select

from bot import ids
from bot.delivery.kinds import DeliveryKind
from bot.local import seed
from bot.sessions import reminders
from storage.models import Delivery
from tests.handlers.conftest import add_coordinators, reply_to, texts

SESSION = ("admin session new case=C1 bureau={bureau} start=2027-05-15T14:00 minutes=120 capacity={capacity} min=2 "
           'deadline=2027-05-01T17:00 release=2027-05-07T09:00 place="東京出入国在留管理局 5階会議室"')


async def plan(ws, bureau: str = "tokyo", capacity: int = 10) -> None:
    await ws.driver.command(seed.ADMIN, f'admin case new title="受診同行" theme=医療・福祉 lecturer=<@{seed.LECTURER}>')
    await ws.driver.command(seed.ADMIN, SESSION.format(bureau=bureau, capacity=capacity))


async def pending_reminders(ws, user: str) -> list[Delivery]:
    async with ws.deps.uow() as uow:
        return list(await uow.session.scalars(select(Delivery).where(
            Delivery.kind == DeliveryKind.SESSION_REMINDER, Delivery.recipient == user, Delivery.status == "pending")
            .order_by(Delivery.due_at)))


async def test_a_session_is_invisible_and_unjoinable_until_announced(ws):
    await plan(ws)
    user = seed.COORDINATORS[0][0]
    assert "S1" not in await reply_to(ws, user, "sessions")
    assert "見つかりません" in await reply_to(ws, user, "join S1")
    async with ws.deps.uow() as uow:
        assert await uow.registrations.for_session(1) == []
    await ws.driver.command(seed.ADMIN, "admin announce S1")
    await ws.driver.command(user, "sessions")
    listed = texts(ws.fake.ephemerals(user)[-1:])
    assert "S1" in listed and "東京出入国在留管理局 5階会議室" in listed  # the place on the card
    await ws.driver.command(user, "join S1")
    async with ws.deps.uow() as uow:
        assert (await uow.registrations.get(1, user)).status == "confirmed"


async def test_an_identical_duplicate_is_warned_about_and_can_still_be_made(ws):
    await plan(ws)
    await ws.driver.command(seed.ADMIN, SESSION.format(bureau="tokyo", capacity=10))
    warning = ws.fake.ephemerals(seed.ADMIN)[-1]
    assert "S1" in texts([warning]) and "すでにあります" in texts([warning])
    async with ws.deps.uow() as uow:
        assert len(await uow.sessions.all()) == 1
    await ws.driver.press(seed.ADMIN, warning, ids.SESSION_NEW_DUPLICATE)
    async with ws.deps.uow() as uow:
        assert [s.code for s in await uow.sessions.all()] == ["S1", "S2"]
    # another start time is no duplicate
    await ws.driver.command(seed.ADMIN, SESSION.format(bureau="tokyo", capacity=10).replace("14:00", "10:00"))
    async with ws.deps.uow() as uow:
        assert len(await uow.sessions.all()) == 3


async def test_edit_moves_the_session_and_its_reminders_and_tells_the_registrants(ws):
    await plan(ws, capacity=2)
    await ws.driver.command(seed.ADMIN, "admin announce S1")
    first, second, third = await add_coordinators(ws, 3)
    for user in (first, second, third):
        await ws.driver.command(user, "join S1")
    before = [r.due_at for r in await pending_reminders(ws, first)]
    await ws.driver.command(seed.STAFF_OSAKA, "admin session edit S1 place=大阪")  # not their bureau
    assert "担当外" in texts(ws.fake.ephemerals(seed.STAFF_OSAKA)[-1:])
    await ws.driver.command(seed.STAFF_TOKYO, 'admin session edit S1 start=2027-05-22T14:00 place="東京局 3階" '
                                              "capacity=3 url=https://meet.example.jp/s1")
    answer = texts(ws.fake.ephemerals(seed.STAFF_TOKYO)[-1:])
    assert "開始日時" in answer and "会場" in answer and "定員" in answer
    await ws.run_due()
    async with ws.deps.uow() as uow:
        item = await uow.sessions.get(1)
        assert (await uow.registrations.get(1, third)).status == "confirmed"  # the new seat went to the waitlist
    assert item.place == "東京局 3階" and item.capacity == 3
    after = [r.due_at for r in await pending_reminders(ws, first)]
    assert after == [moment + timedelta(days=7) for moment in before]  # the reminders moved with it
    told = texts(ws.fake.dm_messages(first)[-2:])
    assert "変わりました" in told and "東京局 3階" in told and "5月22日" in told
    # the rules of a new session still hold
    assert "過去" in await reply_to(ws, seed.ADMIN, "admin session edit S1 start=2027-04-01T08:00")
    assert "3 人" in await reply_to(ws, seed.ADMIN, "admin session edit S1 capacity=2")
    assert "bureau" in await reply_to(ws, seed.ADMIN, "admin session edit S1 bureau=osaka")


async def test_cancel_tells_everyone_concerned_and_drops_the_reminders(ws):
    await plan(ws)
    await ws.driver.command(seed.ADMIN, "admin announce S1")
    joiners = await add_coordinators(ws, 3)
    for user in joiners:
        await ws.driver.command(user, "join S1")
    assert await pending_reminders(ws, joiners[0])
    assert "申込者 3 人" in await reply_to(ws, seed.STAFF_TOKYO, "admin session cancel S1 講師の急病のため")
    await ws.run_due()
    for user in joiners:
        told = texts(ws.fake.dm_messages(user)[-1:])
        assert "S1" in told and "中止" in told and "講師の急病のため" in told
    for staff in (seed.ADMIN, seed.STAFF_TOKYO, seed.LECTURER):
        # The secretariat may hear next that the case can no longer reach every bureau.
        told = [texts([message]) for message in ws.fake.dm_messages(staff)]
        assert any("S1" in text and "中止" in text and "講師の急病のため" in text for text in told), staff
    assert await pending_reminders(ws, joiners[0]) == [] and await pending_reminders(ws, seed.LECTURER) == []
    async with ws.deps.uow() as uow:
        item = await uow.sessions.get(1)
        regs = await uow.registrations.for_session(1)
        payloads = [d.payload for d in await uow.session.scalars(select(Delivery).where(
            Delivery.kind == "session_cancelled"))]
    assert item.status == "cancelled" and {r.status for r in regs} == {"cancelled"}
    assert "講師の急病" not in str(payloads)  # the reason is stored encrypted
    await ws.advance(timedelta(days=60))  # nothing more is sent for it: no reminders, no material, no survey
    assert all("S1" not in texts(ws.fake.dm_messages(u)[-1:]) or "中止" in texts(ws.fake.dm_messages(u)[-1:])
               for u in joiners)
    assert "変更・中止できません" in await reply_to(ws, seed.ADMIN, "admin session cancel S1")


async def test_case_edit_changes_the_case_and_hands_the_reminders_to_the_new_lecturer(ws):
    await plan(ws)
    ws.fake.add_user("UNEWLECT", "講師 新井")
    assert "C1" in await reply_to(ws, seed.ADMIN, 'admin case edit C1 title="受診同行と医療通訳" theme=入管手続 lecturer=<@UNEWLECT>')
    async with ws.deps.uow() as uow:
        case = await uow.cases.get(1)
        item = await uow.sessions.get(1)
        roles = [g.role for g in await uow.roles.of("UNEWLECT")]
    assert (case.title, case.theme, case.lecturer_user_id, item.theme) == (
        "受診同行と医療通訳", "immigration", "UNEWLECT", "immigration")
    assert roles == ["lecturer"]
    assert len(await pending_reminders(ws, "UNEWLECT")) == 3 and await pending_reminders(ws, seed.LECTURER) == []
    await ws.driver.command(seed.STAFF_TOKYO, "admin case edit C1 title=x")
    async with ws.deps.uow() as uow:
        assert (await uow.cases.get(1)).title == "受診同行と医療通訳"


async def test_a_coordinator_is_told_a_session_is_in_another_region_and_asked_to_confirm(ws):
    await plan(ws, bureau="osaka")
    await ws.driver.command(seed.ADMIN, "admin announce S1")
    tokyo_user = (await add_coordinators(ws, 1))[0]
    await ws.driver.command(tokyo_user, "join S1")
    asked = ws.fake.ephemerals(tokyo_user)[-1]
    assert "大阪" in texts([asked]) and "東京" in texts([asked]) and "osaka" not in texts([asked])
    async with ws.deps.uow() as uow:
        assert await uow.registrations.for_session(1) == []
    await ws.driver.press(tokyo_user, asked, ids.SESSION_JOIN_ELSEWHERE)
    async with ws.deps.uow() as uow:
        assert (await uow.registrations.get(1, tokyo_user)).status == "confirmed"
    other = (await add_coordinators(ws, 1, prefix="UTYP"))[0]
    await ws.driver.command(other, "join S1 confirm")
    osaka_user = (await add_coordinators(ws, 1, prefecture="大阪府", prefix="UOSA"))[0]
    await ws.driver.command(osaka_user, "join S1")
    async with ws.deps.uow() as uow:
        assert (await uow.registrations.get(1, other)).status == "confirmed"
        assert (await uow.registrations.get(1, osaka_user)).status == "confirmed"
