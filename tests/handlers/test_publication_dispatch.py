"""The plan's publication rule through the real AsyncApp: a case goes to the portal once each of
the eight bureaus has held it (a called-off bureau counts once its substitute 意見交換会 was held);
`admin publish` shows what is missing and publishes earlier only when confirmed; the commentary
always comes after its announcement, in its thread."""

from datetime import timedelta

from sqlalchemy import select

from bot import ids
from bot.local import seed
from config.reference import bureaus
from storage.models import Delivery
from tests.handlers.conftest import add_coordinators, texts

PREFECTURE = {"sapporo": "北海道", "sendai": "宮城県", "tokyo": "東京都", "nagoya": "愛知県", "osaka": "大阪府",
              "hiroshima": "広島県", "takamatsu": "香川県", "fukuoka": "福岡県"}
SESSION = ("admin session new case=C1 bureau={bureau} start=2027-05-15T14:00 minutes=120 capacity=10 min=2 "
           "deadline=2027-05-01T17:00 release=2027-05-07T09:00")


async def upload(ws, kind: str, data: bytes) -> None:
    await ws.driver.command(seed.ADMIN, "admin material add C1")
    form = ws.fake.current_view(seed.ADMIN)
    file_id = ws.fake.add_user_file(seed.ADMIN, f"{kind}.txt", data)
    await ws.driver.submit_view(seed.ADMIN, form, {
        ids.MATERIAL_CASE_BLOCK: {ids.MATERIAL_CASE_INPUT: "C1"},
        ids.MATERIAL_KIND_BLOCK: {ids.MATERIAL_KIND_INPUT: kind},
        ids.MATERIAL_FILE_BLOCK: {ids.MATERIAL_FILE_INPUT: [file_id]},
    })


async def plan_case(ws, codes: list[str]) -> dict[str, list[str]]:
    """C1 with a session at each given bureau (S1, S2, … in that order), announced, and two
    coordinators of the region joined to each; material and commentary uploaded."""
    await ws.driver.command(seed.ADMIN, 'admin case new title="受診同行" theme=医療・福祉')
    await upload(ws, "material", "【事例】Aさん（30代）は市役所で医療通訳の手配を相談した。\n".encode())
    await upload(ws, "commentary", "【解説】通訳の手配は病院と市の窓口の連携で。\n".encode())
    joined = {}
    for number, code in enumerate(codes, 1):
        await ws.driver.command(seed.ADMIN, SESSION.format(bureau=code))
        await ws.driver.command(seed.ADMIN, f"admin announce S{number}")
        joined[code] = await add_coordinators(ws, 2, prefecture=PREFECTURE[code], prefix=f"U{code[:4].upper()}")
    for number, code in enumerate(codes, 1):
        for user in joined[code]:
            await ws.driver.command(user, f"join S{number}")
    return joined


async def portal_rows(ws) -> list[Delivery]:
    async with ws.deps.uow() as uow:
        return list(await uow.session.scalars(
            select(Delivery).where(Delivery.kind == "portal_publication").order_by(Delivery.id)))


async def test_one_bureau_held_posts_nothing_and_the_admin_sees_what_is_missing(ws):
    await plan_case(ws, ["tokyo"])
    await ws.advance(timedelta(days=45))  # Tokyo held its session on 15 May
    assert ws.fake.messages(ws.portal_channel) == [] and await portal_rows(ws) == []

    await ws.driver.command(seed.ADMIN, "admin publish C1")
    answer = ws.fake.ephemerals(seed.ADMIN)[-1]
    shown = texts([answer])
    assert "東京" in shown and "（1局）" in shown and "（7局）" in shown
    for bureau in bureaus():
        assert bureau.name_ja in shown
        assert bureau.code not in shown.replace("C1 confirm", "")  # names, never codes
    assert ids.PUBLISH_EARLY in str(answer["blocks"])
    await ws.run_due()
    assert ws.fake.messages(ws.portal_channel) == []

    await ws.driver.command(seed.STAFF_TOKYO, "admin publish C1 confirm")  # staff may not publish
    await ws.run_due()
    assert ws.fake.messages(ws.portal_channel) == []


async def test_all_eight_held_or_substituted_posts_once_announcement_then_commentary(ws):
    codes = [b.code for b in bureaus()]
    joined = await plan_case(ws, codes)
    # Sapporo's two leave before the deadline: its session is called off, a substitute offered.
    for user in joined["sapporo"]:
        await ws.driver.command(user, "leave S1")
    await ws.advance(timedelta(days=30, hours=9))  # past the deadline (1 May 17:00)
    async with ws.deps.uow() as uow:
        substitute = (await uow.sessions.substitutes_of([1]))[0]
    for user in joined["sapporo"]:
        await ws.driver.command(user, f"join {substitute.code}")
    await ws.advance(timedelta(days=15))  # the seven others held on 15 May; the substitute not yet
    assert ws.fake.messages(ws.portal_channel) == []
    await ws.driver.open_home(seed.ADMIN)
    home = texts([{"blocks": ws.fake.home_view(seed.ADMIN)["blocks"]}])
    assert "C1" in home and "7/8" in home and "札幌" in home

    await ws.advance(timedelta(days=10))  # the substitute 意見交換会 held on 22 May: all eight
    posts = ws.fake.messages(ws.portal_channel, include_replies=False)
    assert len(posts) == 1 and "C1" in texts(posts)
    replies = [m for m in ws.fake.messages(ws.portal_channel) if m.get("thread_ts") == posts[0]["ts"]]
    commentary = [m for m in replies if "解説資料" in texts([m])]
    assert len(commentary) == 1 and float(commentary[0]["ts"]) > float(posts[0]["ts"])
    rows = await portal_rows(ws)
    assert [r.dedupe_key for r in rows] == ["publish:C1:material", "publish:C1:commentary"]
    assert {r.status for r in rows} == {"sent"} and rows[0].sent_at <= rows[1].sent_at

    await ws.advance(timedelta(days=2))
    await ws.driver.command(seed.ADMIN, "admin publish C1")
    assert len(ws.fake.messages(ws.portal_channel, include_replies=False)) == 1  # posted once
    assert "掲載済み" in texts(ws.fake.ephemerals(seed.ADMIN)[-1:])


async def test_an_admin_publishes_early_on_purpose(ws):
    await plan_case(ws, ["tokyo", "osaka"])
    await ws.advance(timedelta(days=45))
    await ws.driver.command(seed.ADMIN, "admin publish C1")
    answer = ws.fake.ephemerals(seed.ADMIN)[-1]
    await ws.driver.press(seed.ADMIN, answer, ids.PUBLISH_EARLY)
    await ws.run_due()
    posts = ws.fake.messages(ws.portal_channel, include_replies=False)
    assert len(posts) == 1 and "C1" in texts(posts)
    assert "すべての地方局" not in texts(posts)  # an early post does not claim every bureau held it
    replies = [m for m in ws.fake.messages(ws.portal_channel) if m.get("thread_ts") == posts[0]["ts"]]
    assert any("解説資料" in texts([m]) for m in replies)
    async with ws.deps.uow() as uow:
        entries = await uow.audit.entries(action="case.publish")
    assert [(e.outcome, e.detail.get("early")) for e in entries] == [("ok", True)]
