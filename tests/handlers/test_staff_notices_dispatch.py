"""Staff kept informed, through the real AsyncApp: every deadline outcome reaches the secretariat
and the bureau's staff (and nobody else's staff); the substitute 意見交換会 carries a meeting URL
or the staff are asked for one; a substitute called off in turn is announced to its registrants
and the staff; waitlisted people hear that the session goes ahead."""

from datetime import timedelta

from bot.local import seed
from bot.sessions import service as sessions
from tests.handlers.conftest import add_coordinators, texts

SESSION = ("admin session new case=C1 bureau={bureau} start=2027-05-15T14:00 minutes=120 capacity={capacity} "
           "min={minimum} deadline=2027-05-01T17:00 release=2027-05-07T09:00{extra}")
PAST_DEADLINE = timedelta(days=30, hours=8, minutes=5)  # 1 April 9:00 → 1 May 17:05


async def plan(ws, bureau: str, capacity: int, minimum: int, extra: str = "") -> None:
    await ws.driver.command(seed.ADMIN, 'admin case new title="受診同行の事例" theme=医療・福祉')
    await ws.driver.command(seed.ADMIN, SESSION.format(bureau=bureau, capacity=capacity, minimum=minimum, extra=extra))
    await ws.driver.command(seed.ADMIN, "admin announce S1")


def notices(ws, user: str, code: str) -> list[dict]:
    return [m for m in ws.fake.dm_messages(user) if code in texts([m]) and ("✅" in texts([m]) or "⚠️" in texts([m]))]


async def test_a_confirmed_session_is_reported_to_the_secretariat_and_its_bureaus_staff(ws):
    await plan(ws, "tokyo", capacity=2, minimum=2)
    first, second, third = await add_coordinators(ws, 3)
    for user in (first, second, third):
        await ws.driver.command(user, "join S1")
    await ws.advance(PAST_DEADLINE)
    for staff in (seed.ADMIN, seed.STAFF_TOKYO):
        shown = texts(notices(ws, staff, "S1"))
        assert "開催が確定" in shown and "参加確定 2 人（1 班）" in shown and "キャンセル待ち 1 人" in shown, staff
        assert "tokyo" not in shown and "東京" in shown
    assert notices(ws, seed.STAFF_OSAKA, "S1") == []  # another bureau's staff are not bothered
    waiting = texts(ws.fake.dm_messages(third)[-1:])
    assert "開催が確定" in waiting and "キャンセル待ち（1番目）" in waiting and "空いたら" in waiting
    # once: more ticks send nothing more
    count = len(ws.fake.dm_messages(seed.STAFF_TOKYO))
    await ws.advance(timedelta(hours=3))
    assert len(ws.fake.dm_messages(seed.STAFF_TOKYO)) >= count and len(notices(ws, seed.STAFF_TOKYO, "S1")) == 1


async def test_a_call_off_and_its_substitute_are_reported_with_the_meeting_url(ws):
    await plan(ws, "osaka", capacity=20, minimum=5, extra=" url=https://meet.example.jp/s1")
    joiners = await add_coordinators(ws, 2, prefecture="大阪府", prefix="UOSK")
    for user in joiners:
        await ws.driver.command(user, "join S1")
    await ws.advance(PAST_DEADLINE)
    for staff in (seed.ADMIN, seed.STAFF_OSAKA):
        shown = texts(notices(ws, staff, "S1"))
        assert "中止" in shown and "S2" in shown and "https://meet.example.jp/s1" in shown, staff
        assert "申込者 2 人" in shown
    assert notices(ws, seed.STAFF_TOKYO, "S1") == []
    async with ws.deps.uow() as uow:
        substitute = await uow.sessions.get(2)
        exported = {code: await sessions.export_session(uow, code, ws.deps.tz) for code in ("S1", "S2")}
    assert substitute.online_url == "https://meet.example.jp/s1" and substitute.announced_at is not None
    # the call-off notices are listed under the session called off, not under its substitute
    assert sorted(d["user_id"] for d in exported["S1"]["deliveries"] if d["kind"] == "session_cancelled") == joiners
    assert not [d for d in exported["S2"]["deliveries"] if d["kind"] == "session_cancelled"]
    assert exported["S1"]["session"]["substitute"] == "S2"

    # one of them joins the substitute; it too falls short (minimum 2) and is called off in turn
    await ws.driver.command(joiners[0], "join S2")
    await ws.advance(timedelta(days=20))  # past the substitute's deadline (20 May 14:00)
    async with ws.deps.uow() as uow:
        assert (await uow.sessions.get(2)).status == "cancelled"
        assert await uow.sessions.substitutes_of([2]) == []  # no substitute of a substitute
    told = texts(ws.fake.dm_messages(joiners[0])[-1:])
    assert "S2" in told and "中止" in told
    for staff in (seed.ADMIN, seed.STAFF_OSAKA):
        shown = texts(notices(ws, staff, "S2"))
        assert "中止" in shown and "申込者 1 人にお知らせしました" in shown, staff


async def test_a_substitute_without_a_meeting_url_asks_the_staff_for_one(ws):
    await plan(ws, "tokyo", capacity=20, minimum=5)
    await ws.driver.command(seed.COORDINATORS[0][0], "join S1")
    await ws.advance(PAST_DEADLINE)
    shown = texts(notices(ws, seed.STAFF_TOKYO, "S1"))
    assert "会議URLがまだありません" in shown and "admin session edit S2 url=" in shown
