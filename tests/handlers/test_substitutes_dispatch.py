"""A session called off at its deadline is replaced by an online 意見交換会 that is announced like any
session: its own registrants hear first (in their cancellation notice), then every coordinator of the
bureau's region is invited by DM and the announcement channel gets the post; a region with fewer
coordinators than the session's minimum is widened to the whole country. Through the real AsyncApp."""

from datetime import timedelta

from sqlalchemy import select

from bot import ids
from bot.local import seed
from storage.models import Delivery
from tests.handlers.conftest import add_coordinators, texts

SESSION = ("admin session new case=C1 bureau={bureau} start=2027-05-15T14:00 minutes=120 capacity=10 min=5 "
           "deadline=2027-05-01T17:00 release=2027-05-07T09:00")
TOKYO_REGION = {user for user, _name, prefecture, *_ in seed.COORDINATORS if prefecture not in ("大阪府", "京都府", "兵庫県")}


async def invitations(ws, session_code: str) -> dict[str, Delivery]:
    async with ws.deps.uow() as uow:
        item = await uow.sessions.by_code(session_code)
        rows = await uow.session.scalars(select(Delivery).where(
            Delivery.kind == "session_invitation", Delivery.session_id == item.id))
        return {row.recipient: row for row in rows}


async def call_off(ws, bureau: str, joiners: list[str]) -> None:
    await ws.driver.command(seed.ADMIN, 'admin case new title="受診同行" theme=医療・福祉')
    await ws.driver.command(seed.ADMIN, SESSION.format(bureau=bureau))
    await ws.driver.command(seed.ADMIN, "admin announce S1")
    for user in joiners:
        await ws.driver.command(user, "join S1")
    await ws.advance(timedelta(days=31))  # past the deadline of 1 May: two of five, called off


async def test_a_substitute_is_offered_to_the_whole_region_and_announced(ws):
    joiners = ["UCOORD01", "UCOORD02"]
    await call_off(ws, "tokyo", joiners)
    async with ws.deps.uow() as uow:
        first, substitute = await uow.sessions.by_code("S1"), await uow.sessions.by_code("S2")
    assert first.status == "cancelled" and substitute.substitute_of_id == first.id

    invited = await invitations(ws, "S2")
    assert set(invited) == TOKYO_REGION - set(joiners)  # the region, not only the two who applied
    assert {row.status for row in invited.values()} == {"sent"}
    assert "UCOORD21" not in invited  # Osaka's region is not Tokyo's
    for user in joiners:  # the registrants are told in their cancellation notice, with the button
        told = texts(ws.fake.dm_messages(user))
        assert "S2" in told and "中止" in told and ids.SESSION_JOIN in told
    dm = texts(ws.fake.dm_messages("UCOORD05")[-1:])
    assert "S2" in dm and "意見交換会" in dm and "代わり" in dm
    post = texts(ws.fake.messages(ws.announce_channel)[-1:])
    assert "S2" in post and "代わり" in post
    staff = texts(ws.fake.dm_messages(seed.ADMIN))
    assert f"東京の地域の認証者 {len(invited)} 人" in staff

    invitation = ws.fake.dm_messages("UCOORD05")[-1]
    await ws.driver.press("UCOORD05", invitation, ids.SESSION_JOIN)
    async with ws.deps.uow() as uow:
        assert (await uow.registrations.get(substitute.id, "UCOORD05")).status == "confirmed"

    # announcing it again by hand invites nobody twice
    await ws.driver.command(seed.ADMIN, "admin announce S2")
    await ws.run_due()
    assert len([m for m in ws.fake.dm_messages("UCOORD06") if "S2" in texts([m])]) == 1


async def test_a_small_region_widens_the_substitute_to_the_whole_country(ws):
    sapporo = await add_coordinators(ws, 2, prefecture="北海道", prefix="USAP")
    await call_off(ws, "sapporo", sapporo)
    invited = await invitations(ws, "S2")
    everyone = {user for user, *_ in seed.COORDINATORS}
    assert set(invited) == everyone  # two in the region, fewer than the minimum of five
    assert "S2" in texts(ws.fake.dm_messages("UCOORD21")[-1:])
    staff = texts(ws.fake.dm_messages(seed.ADMIN))
    assert "全国の認証者" in staff and f"{len(everyone)} 人" in staff


async def test_the_english_invitation_says_why_the_exchange_is_there(db_url):
    from bot.core.clock import ManualClock
    from bot.local.workspace import LocalWorkspace
    from storage.crypto import Cipher, generate_key
    from tests.handlers.conftest import START

    async with LocalWorkspace.open(database_url=db_url, cipher=Cipher(generate_key()), clock=ManualClock(START),
                                   english=("UCOORD05", seed.ADMIN)) as ws:
        await call_off(ws, "tokyo", ["UCOORD01", "UCOORD02"])
        dm = texts(ws.fake.dm_messages("UCOORD05")[-1:])
        assert "called off" in dm and "exchange meeting" in dm
        assert "coordinators of the Tokyo region" in texts(ws.fake.dm_messages(seed.ADMIN))
