"""Every publication is reported to the secretariat (each in their language): by itself once all
eight bureaus have held the case, or by an admin's choice before; the portal post carries the
case's theme by name and its summary, which is checked for personal data when it is written.
Through the real AsyncApp and the fake Slack."""

from datetime import timedelta

from sqlalchemy import select

from bot import ids
from bot.delivery.kinds import DeliveryKind
from bot.local import seed
from bot.materials import service as materials
from config.reference import bureaus
from storage.models import Delivery
from tests.handlers.conftest import texts
from tests.handlers.test_publication_dispatch import plan_case

SECOND_ADMIN = "UADMIN02"
SUMMARY = "通訳の手配をめぐり、病院と市の窓口の連携を考える事例"


async def with_second_admin(ws) -> None:
    """Another admin by role (not in JIREI_ADMINS), who reads English."""
    ws.fake.add_user(SECOND_ADMIN, "Second Admin")
    await ws.driver.command(seed.ADMIN, f"admin role <@{SECOND_ADMIN}> admin")
    await ws.driver.command(SECOND_ADMIN, "profile set lang=en")


async def notices(ws) -> list[Delivery]:
    async with ws.deps.uow() as uow:
        return list(await uow.session.scalars(select(Delivery).where(
            Delivery.kind == DeliveryKind.CASE_PUBLISHED).order_by(Delivery.id)))


async def test_a_case_published_by_itself_is_reported_and_posted_with_its_theme_and_summary(ws):
    await with_second_admin(ws)
    await plan_case(ws, [b.code for b in bureaus()])
    await ws.driver.command(seed.ADMIN, f'admin case edit C1 summary="{SUMMARY}"')
    assert "C1" in texts(ws.fake.ephemerals(seed.ADMIN)[-1:])
    await ws.advance(timedelta(days=45))  # every bureau held it on 15 May
    posts = ws.fake.messages(ws.portal_channel, include_replies=False)
    assert len(posts) == 1
    post = texts(posts)
    assert "テーマ: 医療・福祉" in post and "medical_welfare" not in post and SUMMARY in post
    assert {row.recipient for row in await notices(ws)} == {seed.ADMIN, SECOND_ADMIN}
    assert "全地方局で実施されたため" in texts(ws.fake.dm_messages(seed.ADMIN)[-3:])
    assert "held at every bureau" in texts(ws.fake.dm_messages(SECOND_ADMIN)[-3:])


async def test_a_forced_publication_is_reported_to_the_rest_of_the_secretariat(ws):
    await with_second_admin(ws)
    await plan_case(ws, ["tokyo", "osaka"])
    await ws.advance(timedelta(days=45))
    await ws.driver.command(seed.ADMIN, "admin publish C1")
    await ws.driver.press(seed.ADMIN, ws.fake.ephemerals(seed.ADMIN)[-1], ids.PUBLISH_EARLY)
    await ws.run_due()
    assert [row.recipient for row in await notices(ws)] == [SECOND_ADMIN]  # the one who chose it knows
    told = texts(ws.fake.dm_messages(SECOND_ADMIN)[-1:])
    assert f"<@{seed.ADMIN}>" in told and "before every bureau" in told and "Sapporo" in told
    assert "sapporo" not in told
    post = texts(ws.fake.messages(ws.portal_channel, include_replies=False))
    assert "テーマ: 医療・福祉" in post and "概要" not in post  # no summary written: none shown


async def test_a_summary_with_personal_data_or_too_long_is_refused(ws):
    await ws.driver.command(seed.ADMIN, 'admin case new title="受診同行" theme=医療・福祉 '
                                        'summary="山田太郎さん（090-1234-5678）の受診同行"')
    answer = texts(ws.fake.ephemerals(seed.ADMIN)[-1:])
    assert "個人情報" in answer and "電話番号" in answer and "090-1234-5678" not in answer
    async with ws.deps.uow() as uow:
        assert await uow.cases.all() == []
    await ws.driver.command(seed.ADMIN, 'admin case new title="受診同行" theme=医療・福祉 summary="' + "あ" * 501 + '"')
    assert "500文字まで" in texts(ws.fake.ephemerals(seed.ADMIN)[-1:])
    await ws.driver.command(seed.ADMIN, f'admin case new title="受診同行" theme=医療・福祉 summary="{SUMMARY}"')
    async with ws.deps.uow() as uow:
        assert (await uow.cases.by_code("C1")).summary == SUMMARY
    await ws.driver.command(seed.ADMIN, 'admin case edit C1 summary=""')
    async with ws.deps.uow() as uow:
        assert (await uow.cases.by_code("C1")).summary is None
