"""A case that can no longer be held at all eight bureaus is reported to the secretariat (each in
their language) with the bureaus missing and what they can do, once per state, and the Home tab
says so instead of showing the bureau as still to go. Through the real AsyncApp and the fake Slack."""

from datetime import datetime, timedelta

from sqlalchemy import select

from bot import ids
from bot.delivery.kinds import DeliveryKind
from bot.local import seed
from bot.materials import service as materials
from storage.models import Delivery
from tests.handlers.conftest import JST, add_coordinators, texts

SESSION = ("admin session new case=C1 bureau={bureau} start=2027-05-15T14:00 minutes=120 capacity=10 min=5 "
           "deadline=2027-05-01T17:00 release=2027-05-07T09:00")


async def reports(ws) -> list[Delivery]:
    async with ws.deps.uow() as uow:
        return list(await uow.session.scalars(select(Delivery).where(
            Delivery.kind == DeliveryKind.CASE_INCOMPLETE).order_by(Delivery.id)))


def report_dms(ws, word: str = "全局での実施に届きません") -> list[dict]:
    return [m for m in ws.fake.dm_messages(seed.ADMIN) if word in texts([m])]


async def admin_home(ws) -> str:
    await ws.driver.open_home(seed.ADMIN)
    return texts([{"blocks": ws.fake.home_view(seed.ADMIN)["blocks"]}])


async def test_a_bureau_whose_session_and_substitute_fell_through_is_reported_once(ws):
    await ws.driver.command(seed.ADMIN, 'admin case new title="受診同行" theme=医療・福祉')
    await ws.driver.command(seed.ADMIN, SESSION.format(bureau="sapporo"))
    await ws.driver.command(seed.ADMIN, SESSION.format(bureau="tokyo").replace("2027-05", "2027-07"))
    for code in ("S1", "S2"):
        await ws.driver.command(seed.ADMIN, f"admin announce {code}")
    for user in await add_coordinators(ws, 2, prefecture="北海道", prefix="USAP"):
        await ws.driver.command(user, "join S1")
    await ws.advance(timedelta(days=31))  # 1 May: Sapporo called off (2 of 5), its substitute S3 offered
    async with ws.deps.uow() as uow:
        substitute = (await uow.sessions.substitutes_of([1]))[0]
    assert substitute.status == "open" and await reports(ws) == []  # still on its way: nothing to report
    assert "未実施" in await admin_home(ws)

    await ws.advance(timedelta(days=20))  # the substitute's deadline: nobody joined, called off too
    async with ws.deps.uow() as uow:
        assert (await uow.sessions.get(substitute.id)).status == "cancelled"
    rows = await reports(ws)
    assert [r.recipient for r in rows] == [seed.ADMIN] and rows[0].status == "sent"
    told = report_dms(ws)[-1]
    shown = texts([told])
    assert "C1" in shown and "全局" in shown and "札幌" in shown and "sapporo" not in shown
    assert "admin session new case=C1 bureau=札幌" in shown and "admin publish C1 confirm" in shown
    assert ids.PUBLISH_EARLY in shown
    home = await admin_home(ws)
    assert "⚠️ C1" in home and "札幌（事例検討会も代わりの意見交換会も開催されず）" in home

    await ws.advance(timedelta(hours=3))  # the hourly look again: the same state, no second report
    assert len(await reports(ws)) == 1

    # Tokyo's session is cancelled by the staff too: a new state, a new report naming both
    await ws.driver.command(seed.STAFF_TOKYO, "admin session cancel S2")
    await ws.advance(timedelta(hours=2))
    rows = await reports(ws)
    assert len(rows) == 2
    last = texts(report_dms(ws)[-1:])
    assert "札幌" in last and "東京" in last

    # the secretariat publishes it as it is, with the report's own button
    await ws.driver.press(seed.ADMIN, told, ids.PUBLISH_EARLY)
    await ws.run_due()
    assert len(ws.fake.messages(ws.portal_channel, include_replies=False)) == 1
    assert "⚠️ C1" not in await admin_home(ws)


async def test_bureaus_with_nothing_planned_near_the_year_end_are_reported_in_english(ws):
    async with ws.deps.uow() as uow:
        (await uow.coordinators.get_or_create(seed.ADMIN, ws.clock.now())).lang = "en"
    await ws.driver.command(seed.ADMIN, 'admin case new title="受診同行" theme=医療・福祉')
    await ws.driver.command(seed.ADMIN, SESSION.format(bureau="tokyo"))
    await ws.driver.command(seed.ADMIN, "admin announce S1")
    for user, *_ in seed.COORDINATORS[:5]:
        await ws.driver.command(user, "join S1")
    await ws.advance(timedelta(days=50))  # Tokyo held it on 15 May
    ws.clock.set(datetime(2028, 2, 1, 9, 0, tzinfo=JST))
    await ws.run_due()
    assert await reports(ws) == []  # two months left: still time to plan the others
    ws.clock.set(datetime(2028, 3, 15, 9, 0, tzinfo=JST))  # two weeks before the fiscal year ends
    await ws.run_due()
    rows = await reports(ws)
    assert len(rows) == 1 and sorted(rows[0].payload["stalled"]) == sorted(
        ["sapporo", "sendai", "nagoya", "osaka", "hiroshima", "takamatsu", "fukuoka"])
    shown = texts(report_dms(ws, "will not be held")[-1:])
    assert "will not be held at them all" in shown and "Sapporo (nothing planned before the fiscal year ends)" in shown
