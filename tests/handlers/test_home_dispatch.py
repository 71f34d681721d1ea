"""The Home tab per role and `admin report year`, through the real AsyncApp and the fake Slack."""

from __future__ import annotations

import io
from datetime import timedelta

from openpyxl import load_workbook

from bot import ids
from bot.local import seed
from bot.local.slack.blockkit import validate_view
from storage.models import SurveyInvite, SurveyRun
from tests.handlers.conftest import announced, texts

COORDINATOR = seed.COORDINATORS[0][0]
TOKYO = [c[0] for c in seed.COORDINATORS if c[2] not in ("大阪府", "京都府", "兵庫県")]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


async def plan(ws, *, joiners: int = 1) -> None:
    """C1 with the seeded lecturer, S1 in Tokyo (15 May 2027), a confirmed link as material."""
    await ws.driver.command(seed.ADMIN, f'admin case new title="受診同行の事例" theme=医療・福祉 lecturer=<@{seed.LECTURER}>')
    await ws.driver.command(seed.ADMIN, "admin session new case=C1 bureau=tokyo start=2027-05-15T14:00 minutes=120 "
                                        "capacity=10 min=5 deadline=2027-05-01T17:00 release=2027-05-07T09:00")
    await ws.driver.command(seed.ADMIN, "admin material add C1 url=https://files.example.jp/c1.pdf")
    (added,) = [m for m in ws.fake.ephemerals(seed.ADMIN) if ids.MATERIAL_LINK_CHECK_OPEN in str(m)]
    await ws.driver.press(seed.ADMIN, added, ids.MATERIAL_LINK_CHECK_OPEN)  # the linked file was checked
    await ws.driver.submit_view(seed.ADMIN, ws.fake.current_view(seed.ADMIN),
                                {ids.MATERIAL_LINK_CHECK_BLOCK: {ids.MATERIAL_LINK_CHECK_INPUT: ["checked"]}})
    await announced(ws)
    for user in TOKYO[:joiners]:
        await ws.driver.command(user, "join S1")


async def home_of(ws, user: str) -> dict:
    await ws.driver.open_home(user)
    home = ws.fake.home_view(user)
    assert home is not None and validate_view(home) == []
    return home


def action_ids(view: dict) -> set[str]:
    found = set()
    for block in view["blocks"]:
        for element in block.get("elements", []) + [block.get("accessory") or {}]:
            if element.get("action_id"):
                found.add(element["action_id"])
    return found


async def test_each_seeded_role_sees_its_own_sections(ws):
    await plan(ws)

    coordinator = await home_of(ws, COORDINATOR)
    assert "S1" in str(coordinator) and ids.SESSION_LEAVE in action_ids(coordinator)
    assert "参加する事例検討会" in str(coordinator) and "2027年5月15日(土) 14:00" in str(coordinator)
    assert ids.SESSION_ROSTER not in action_ids(coordinator) and "年度の概況" not in str(coordinator)

    staff = await home_of(ws, seed.STAFF_TOKYO)
    assert "地方局の事例検討会" in str(staff) and ids.SESSION_ROSTER in action_ids(staff)
    assert "参加確定 1/10（充足率 10%）" in str(staff) and "admin attend" in str(staff)

    lecturer = await home_of(ws, seed.LECTURER)
    assert "担当する事例" in str(lecturer) and "C1" in str(lecturer)
    assert ids.MATERIAL_UPLOAD_OPEN in action_ids(lecturer) and "第1版" in str(lecturer)

    admin = await home_of(ws, seed.ADMIN)
    assert "2027年度の概況" in str(admin) and "受付中 1" in str(admin)
    assert "届かなかったメッセージはありません" in str(admin)
    assert ids.SESSION_ROSTER not in action_ids(admin)  # the admin holds no bureau-staff grant

    osaka = await home_of(ws, seed.STAFF_OSAKA)
    assert "S1" not in str(osaka) and "予定されている事例検討会はありません" in str(osaka)


async def test_the_home_tab_is_in_english_for_english_speakers(ws):
    await plan(ws)
    await ws.driver.command(COORDINATOR, "profile set lang=en")
    home = await home_of(ws, COORDINATOR)
    assert "My sessions" in str(home) and "Sat" in str(home) and "参加する事例検討会" not in str(home)


async def test_roster_button_on_the_home_tab_sends_the_roster_to_the_dm(ws):
    await plan(ws, joiners=3)
    staff = await home_of(ws, seed.STAFF_TOKYO)
    await ws.driver.press(seed.STAFF_TOKYO, staff, ids.SESSION_ROSTER)
    roster = texts(ws.fake.dm_messages(seed.STAFF_TOKYO))
    assert "S1 参加者名簿" in roster and seed.COORDINATORS[0][1] in roster
    async with ws.deps.uow() as uow:
        assert len(await uow.audit.entries(actor=seed.STAFF_TOKYO, action="session.roster")) == 1


async def test_a_tampered_roster_button_is_refused_for_another_bureau(ws):
    await plan(ws, joiners=2)
    await ws.driver.command(seed.STAFF_OSAKA, "admin session new case=C1 bureau=osaka start=2027-05-22T14:00 "
                                              "minutes=120 capacity=20 min=5 deadline=2027-05-08T17:00 release=2027-05-14T09:00")
    osaka = await home_of(ws, seed.STAFF_OSAKA)
    await ws.driver.click(seed.STAFF_OSAKA, ids.SESSION_ROSTER, "S1", view=osaka)
    answer = texts(ws.fake.dm_messages(seed.STAFF_OSAKA))
    assert "担当外" in answer and seed.COORDINATORS[0][1] not in answer


async def test_material_and_survey_waiting_show_and_reading_clears_it(ws):
    await plan(ws, joiners=5)
    await ws.advance(timedelta(days=36, hours=1))  # past the deadline (1 May) and the release (7 May 09:00)
    now = ws.clock.now()
    async with ws.deps.uow() as uow:
        assert (await uow.sessions.get(1)).status == "confirmed"
        uow.session.add(SurveyRun(survey_id="post_session", session_id=1, status="open", opens_at=now,
                                  deadline_at=now + timedelta(days=7), created_by=seed.ADMIN, created_at=now))
        await uow.flush()
        uow.session.add(SurveyInvite(run_id=1, user_id=COORDINATOR, completed=False))
    home = await home_of(ws, COORDINATOR)
    assert ids.HOME_MATERIAL_READ in action_ids(home) and "お読みいただく事例資料" in str(home)
    assert "回答待ちのアンケート" in str(home) and "R1" in str(home)

    await ws.driver.press(COORDINATOR, home, ids.HOME_MATERIAL_READ)
    async with ws.deps.uow() as uow:
        assert COORDINATOR in await uow.material_reads.readers(1)
    refreshed = ws.fake.home_view(COORDINATOR)
    assert ids.HOME_MATERIAL_READ not in action_ids(refreshed) and validate_view(refreshed) == []


async def test_admin_report_year_sends_message_workbook_and_chart(ws):
    await plan(ws, joiners=5)
    await ws.advance(timedelta(days=45))  # decided, held and closed by 16 May
    reply = await ws.driver.command(seed.ADMIN, "admin report year")
    assert reply.status == 200
    message = ws.fake.ephemerals(seed.ADMIN)[-1]
    assert "2027年度 事例検討会の振り返り" in texts([message]) and len(message["blocks"]) <= 50
    assert "開催 1・中止 0（計画 1）・参加 5 人" in texts([message])

    uploads = [m for m in ws.fake.dm_messages(seed.ADMIN) if m.get("files")]
    assert len(uploads) == 1  # each file attached once
    upload = uploads[0]
    names = sorted(f["name"] for f in upload["files"])
    assert names == ["jirei-review-FY2027.png", "jirei-review-FY2027.xlsx"]
    assert sorted(f["title"] for f in upload["files"]) == ["2027年度の振り返り（Excel）", "2027年度の振り返り（グラフ）"]
    by_name = {f["name"]: ws.fake.file_content(f["id"]) for f in upload["files"]}
    book = load_workbook(io.BytesIO(by_name["jirei-review-FY2027.xlsx"]))
    assert book.sheetnames == ["地方局別", "テーマ別", "アンケート", "自主勉強会"]
    assert [c.value for c in book["地方局別"][2]][:4] == ["東京", 1, 1, 0]
    assert by_name["jirei-review-FY2027.png"].startswith(PNG_SIGNATURE)


async def test_admin_report_year_for_an_empty_past_year_and_refusals(ws):
    await ws.driver.command(seed.ADMIN, "admin report year 2025")
    assert "2025年度" in texts(ws.fake.ephemerals(seed.ADMIN)[-1:])
    await ws.driver.command(seed.STAFF_TOKYO, "admin report year")
    assert "管理者" in texts(ws.fake.ephemerals(seed.STAFF_TOKYO)[-1:])
    assert not any(m.get("files") for m in ws.fake.dm_messages(seed.STAFF_TOKYO))
    await ws.driver.command(seed.ADMIN, "admin report year 1999")
    assert "2000〜2100" in texts(ws.fake.ephemerals(seed.ADMIN)[-1:])
