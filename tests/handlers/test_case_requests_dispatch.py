"""事例作成の依頼 through the real AsyncApp and the fake Slack: the secretariat's form (valid, a bad
date, someone not of the secretariat), the lecturer's accept and decline, the reminders a week and a
day before the due date, the approval gate before release (four eyes), a return with a note, the
Home tab's list, in Japanese and English."""

from datetime import date, datetime, timedelta

from bot import ids
from bot.local import seed
from bot.requests.service import reminder_moment
from tests.handlers.conftest import JST, add_coordinators, texts
from tests.handlers.test_materials_dispatch import CLEAN, TOKYO_SESSION, received_material

SECOND_ADMIN = "UADMIN02"
DUE = date(2027, 4, 20)  # a Tuesday; the test clock starts on Thursday 1 April 2027, 9:00


def field(name: str) -> str:
    return ids.REQUEST_FIELD_BLOCKS[name][0]


def values(theme: str = "medical_welfare", title: str = "受診同行と医療通訳", lecturer: str = seed.LECTURER,
           due: str = DUE.isoformat(), note: str = "外来での通訳手配を中心に") -> dict:
    return {field(name): {ids.REQUEST_FIELD_BLOCKS[name][1]: value}
            for name, value in (("theme", theme), ("title", title), ("lecturer", lecturer), ("due", due),
                                ("note", note))}


async def ask(ws, user: str = seed.ADMIN, **typed):
    await ws.driver.command(user, "admin request")
    form = ws.fake.current_view(user)
    assert form["callback_id"] == ids.REQUEST_VIEW
    return await ws.driver.submit_view(user, form, values(**typed))


def request_dms(ws, user: str) -> list[dict]:
    return [m for m in ws.fake.dm_messages(user) if ids.REQUEST_ACCEPT in str(m.get("blocks"))]


def with_word(ws, user: str, word: str) -> list[dict]:
    return [m for m in ws.fake.dm_messages(user) if word in texts([m])]


async def accept(ws, lecturer: str = seed.LECTURER):
    await ws.driver.press(lecturer, request_dms(ws, lecturer)[-1], ids.REQUEST_ACCEPT)
    await ws.run_due()


async def lecturer_uploads(ws, lecturer: str = seed.LECTURER, case: str = "C1") -> None:
    await ws.driver.command(lecturer, f"admin material add {case}")
    form = ws.fake.current_view(lecturer)
    file_id = ws.fake.add_user_file(lecturer, "case.txt", CLEAN)
    await ws.driver.submit_view(lecturer, form, {
        ids.MATERIAL_CASE_BLOCK: {ids.MATERIAL_CASE_INPUT: case},
        ids.MATERIAL_KIND_BLOCK: {ids.MATERIAL_KIND_INPUT: "material"},
        ids.MATERIAL_FILE_BLOCK: {ids.MATERIAL_FILE_INPUT: [file_id]},
    }, settle=False)
    await ws.driver.settle()
    await ws.run_due()


async def test_the_secretariat_asks_and_the_lecturer_accepts_the_case_exists_with_them_as_lecturer(ws):
    reply = await ask(ws)
    assert reply.ack in (None, {}) or not reply.ack.get("errors")
    await ws.run_due()
    assert ws.fake.current_view(seed.ADMIN) is None  # the form closed
    assert len(with_word(ws, seed.ADMIN, "依頼 Q1 を講師に送りました")) == 1
    (dm,) = request_dms(ws, seed.LECTURER)
    shown = texts([dm])
    assert "医療・福祉" in shown and "受診同行と医療通訳" in shown and "2027年4月20日" in shown
    assert "外来での通訳手配を中心に" in shown and f"<@{seed.ADMIN}>" in shown
    assert ids.REQUEST_DECLINE in shown

    await accept(ws)
    async with ws.deps.uow() as uow:
        case = await uow.cases.by_code("C1")
        request = await uow.case_requests.by_code("Q1")
    assert case is not None and case.lecturer_user_id == seed.LECTURER and case.theme == "medical_welfare"
    assert case.title == "受診同行と医療通訳" and request.status == "accepted" and request.case_id == case.id
    told = with_word(ws, seed.ADMIN, "引き受けました")
    assert len(told) == 1 and "C1" in texts(told)
    # pressing again changes nothing: one case, one notice
    await ws.driver.press(seed.LECTURER, request_dms(ws, seed.LECTURER)[-1], ids.REQUEST_ACCEPT)
    await ws.run_due()
    async with ws.deps.uow() as uow:
        assert len(await uow.cases.all()) == 1
    assert len(with_word(ws, seed.ADMIN, "引き受けました")) == 1
    # only the lecturer asked may answer
    await ws.driver.press(seed.STAFF_TOKYO, request_dms(ws, seed.LECTURER)[-1], ids.REQUEST_ACCEPT)


async def test_a_due_date_today_or_past_or_unreadable_goes_back_into_the_form(ws):
    for due in ("2027-04-01", "2027-03-15"):
        reply = await ask(ws, due=due)
        assert field("due") in reply.ack["errors"] and "明日以降" in reply.ack["errors"][field("due")]
    await ws.driver.command(seed.ADMIN, "admin request")
    form = ws.fake.current_view(seed.ADMIN)
    forged = values()
    forged[field("due")] = {ids.REQUEST_FIELD_BLOCKS["due"][1]: {"type": "datepicker", "selected_date": "2027-13-45"}}
    reply = await ws.driver.submit_view(seed.ADMIN, form, forged)
    assert field("due") in reply.ack["errors"]
    await ws.run_due()
    async with ws.deps.uow() as uow:
        assert await uow.case_requests.all() == []
    assert request_dms(ws, seed.LECTURER) == []


async def test_only_the_secretariat_may_ask(ws):
    coordinator = (await add_coordinators(ws, 1))[0]
    reply = await ws.driver.command(coordinator, "admin request")
    assert "事務局・地方局の担当者のみ" in texts(reply.answer)
    reply = await ws.driver.command(seed.STAFF_TOKYO, "admin request")  # bureau staff pass the grammar's gate
    assert "事務局（管理者）のみ" in texts(reply.answer)
    assert ws.fake.current_view(seed.STAFF_TOKYO) is None
    # a submission forged without the form: refused by the service, in the form, nothing stored
    await ws.driver.command(seed.ADMIN, "admin request")
    form = ws.fake.current_view(seed.ADMIN)
    reply = await ws.driver.submit_view(seed.STAFF_TOKYO, form, values())
    assert "事務局（管理者）のみ" in str(reply.ack["errors"])
    async with ws.deps.uow() as uow:
        assert await uow.case_requests.all() == []


async def test_the_lecturer_declines_with_a_reason_and_the_secretariat_is_told(ws):
    await ask(ws)
    await ws.run_due()
    await ws.driver.press(seed.LECTURER, request_dms(ws, seed.LECTURER)[-1], ids.REQUEST_DECLINE)
    form = ws.fake.current_view(seed.LECTURER)
    assert form["callback_id"] == ids.REQUEST_DECLINE_VIEW
    await ws.driver.submit_view(seed.LECTURER, form, {
        ids.REQUEST_REASON_BLOCK: {ids.REQUEST_REASON_INPUT: "今年度は学会の準備で時間が取れません"}})
    await ws.run_due()
    told = with_word(ws, seed.ADMIN, "辞退しました")
    assert len(told) == 1 and "学会の準備" in texts(told)
    assert len(with_word(ws, seed.LECTURER, "辞退を事務局にお伝えしました")) == 1
    async with ws.deps.uow() as uow:
        request = await uow.case_requests.by_code("Q1")
        assert request.status == "declined" and await uow.cases.all() == []
        assert b"\xe5\xad\xa6\xe4\xbc\x9a" not in request.reason_encrypted  # the reason is ciphertext
    # accepting after declining does nothing
    await ws.driver.press(seed.LECTURER, request_dms(ws, seed.LECTURER)[-1], ids.REQUEST_ACCEPT)
    async with ws.deps.uow() as uow:
        assert await uow.cases.all() == []


async def test_reminders_a_week_and_a_day_before_the_due_date_in_office_hours_once_each(ws):
    await ask(ws)
    await ws.run_due()
    await accept(ws)
    week, day = reminder_moment(DUE, 7, JST), reminder_moment(DUE, 1, JST)
    assert week == datetime(2027, 4, 13, 10, 0, tzinfo=JST) and day == datetime(2027, 4, 19, 10, 0, tzinfo=JST)
    await ws.advance(datetime(2027, 4, 13, 9, 59, tzinfo=JST) - ws.clock.now())
    assert with_word(ws, seed.LECTURER, "あと1週間") == []
    await ws.advance(timedelta(hours=2))
    reminded = with_word(ws, seed.LECTURER, "あと1週間")
    assert len(reminded) == 1 and ids.MATERIAL_UPLOAD_OPEN in texts(reminded)
    assert reminded[0]["ts"] and datetime.fromtimestamp(float(reminded[0]["ts"]), JST).hour == 10
    await ws.advance(datetime(2027, 4, 19, 12, 0, tzinfo=JST) - ws.clock.now())
    assert len(with_word(ws, seed.LECTURER, "提出期日は明日")) == 1
    await ws.advance(timedelta(days=3))
    assert len(with_word(ws, seed.LECTURER, "あと1週間")) == 1 and len(with_word(ws, seed.LECTURER, "提出期日は明日")) == 1
    # a weekend moves the reminder to the Friday before, in office hours
    assert reminder_moment(date(2027, 5, 17), 1, JST) == datetime(2027, 5, 14, 10, 0, tzinfo=JST)


async def test_no_reminder_once_material_arrived_or_the_request_was_withdrawn(ws):
    await ask(ws)
    await ask(ws, title="在留資格の変更")
    await ws.run_due()
    for dm in request_dms(ws, seed.LECTURER):
        await ws.driver.press(seed.LECTURER, dm, ids.REQUEST_ACCEPT)
    await ws.run_due()
    await lecturer_uploads(ws, case="C1")  # Q1's material came early
    reply = await ws.driver.command(seed.ADMIN, "admin request withdraw Q2")
    assert "取り下げました" in texts(reply.answer)
    await ws.run_due()
    assert len(with_word(ws, seed.LECTURER, "依頼 Q2「在留資格の変更」を取り下げました")) == 1
    await ws.advance(timedelta(days=21))
    assert with_word(ws, seed.LECTURER, "あと1週間") == [] and with_word(ws, seed.LECTURER, "提出期日は明日") == []
    reply = await ws.driver.command(seed.ADMIN, "admin request withdraw Q2")
    assert "取り下げられる状態ではありません" in texts(reply.answer)


async def accepted_and_planned(ws) -> list[str]:
    """Q1 asked and accepted (its case is C1), S1 on it announced, two coordinators joined; who they are."""
    await ask(ws)
    await ws.run_due()
    await accept(ws)
    await ws.driver.command(seed.ADMIN, TOKYO_SESSION)
    await ws.driver.command(seed.ADMIN, "admin announce S1")
    joined = await add_coordinators(ws, 2, prefix="UREQ")
    for user in joined:
        await ws.driver.command(user, "join S1")
    return joined


async def test_material_of_a_requested_case_is_not_released_before_the_secretariat_approves_it(ws):
    joined = await accepted_and_planned(ws)
    await lecturer_uploads(ws)
    async with ws.deps.uow() as uow:
        assert (await uow.case_requests.by_code("Q1")).status == "submitted"
    (review,) = with_word(ws, seed.ADMIN, "承認をお願いします")
    await ws.advance(timedelta(days=36, hours=1))  # past the release time (7 May 9:00)
    assert all(received_material(ws, user) == [] for user in joined)  # the release job refused it
    await ws.driver.press(seed.ADMIN, review, ids.REQUEST_APPROVE)
    await ws.run_due()
    assert all(len(received_material(ws, user)) == 1 for user in joined)
    assert len(with_word(ws, seed.LECTURER, "承認されました")) == 1


async def test_four_eyes_the_uploader_cannot_approve_another_admin_does(ws):
    ws.fake.add_user(SECOND_ADMIN, "事務局 二人目")
    await ws.driver.command(seed.ADMIN, f"admin role <@{SECOND_ADMIN}> admin")
    joined = await accepted_and_planned(ws)
    # the admin who asked uploads the material on the lecturer's behalf: the other admin is asked
    await lecturer_uploads(ws, lecturer=seed.ADMIN)
    assert with_word(ws, seed.ADMIN, "承認をお願いします") == []
    (review,) = with_word(ws, SECOND_ADMIN, "承認をお願いします")
    value = next(e["value"] for b in review["blocks"] if b["type"] == "actions" for e in b["elements"])
    reply = await ws.driver.click(seed.ADMIN, ids.REQUEST_APPROVE, value, message=review)
    assert "ご自分でアップロードした資料は承認できません" in texts(reply.answer)
    await ws.advance(timedelta(days=36, hours=1))
    assert all(received_material(ws, user) == [] for user in joined)
    await ws.driver.press(SECOND_ADMIN, review, ids.REQUEST_APPROVE)
    await ws.run_due()
    assert all(len(received_material(ws, user)) == 1 for user in joined)
    async with ws.deps.uow() as uow:
        request = await uow.case_requests.by_code("Q1")
    assert request.status == "approved" and request.reviewed_by == SECOND_ADMIN


async def test_a_returned_material_goes_back_with_a_note_and_is_not_released(ws):
    joined = await accepted_and_planned(ws)
    await lecturer_uploads(ws)
    (review,) = with_word(ws, seed.ADMIN, "承認をお願いします")
    await ws.driver.press(seed.ADMIN, review, ids.REQUEST_RETURN)
    form = ws.fake.current_view(seed.ADMIN)
    assert form["callback_id"] == ids.REQUEST_RETURN_VIEW
    reply = await ws.driver.submit_view(seed.ADMIN, form, {ids.REQUEST_RETURN_BLOCK: {ids.REQUEST_RETURN_INPUT: "  "}})
    assert ids.REQUEST_RETURN_BLOCK in reply.ack["errors"]  # a return needs a note
    await ws.driver.submit_view(seed.ADMIN, form, {
        ids.REQUEST_RETURN_BLOCK: {ids.REQUEST_RETURN_INPUT: "経過の時系列をもう少し詳しく書いてください"}})
    await ws.run_due()
    returned = with_word(ws, seed.LECTURER, "差し戻されました")
    assert len(returned) == 1 and "経過の時系列" in texts(returned) and ids.MATERIAL_UPLOAD_OPEN in texts(returned)
    async with ws.deps.uow() as uow:
        assert (await uow.case_requests.by_code("Q1")).status == "accepted"
    # the old review button no longer approves anything
    reply = await ws.driver.press(seed.ADMIN, review, ids.REQUEST_APPROVE)
    assert "承認待ちではありません" in texts(reply.answer)
    await ws.advance(timedelta(days=36, hours=1))
    assert all(received_material(ws, user) == [] for user in joined)
    # the corrected version is asked about again, and released once approved
    await lecturer_uploads(ws)
    second = with_word(ws, seed.ADMIN, "承認をお願いします")[-1]
    assert "第2版" in texts([second])
    await ws.driver.press(seed.ADMIN, second, ids.REQUEST_APPROVE)
    await ws.run_due()
    assert all(len(received_material(ws, user)) == 1 for user in joined)


async def test_the_home_tab_lists_requests_by_state(ws):
    for title in ("受診同行", "在留資格の変更", "就学支援", "母子家庭の相談"):
        await ask(ws, title=title)
    await ws.run_due()
    dms = request_dms(ws, seed.LECTURER)
    await ws.driver.press(seed.LECTURER, dms[1], ids.REQUEST_ACCEPT)
    await ws.driver.press(seed.LECTURER, dms[2], ids.REQUEST_ACCEPT)
    await ws.driver.press(seed.LECTURER, dms[3], ids.REQUEST_DECLINE)
    await ws.driver.submit_view(seed.LECTURER, ws.fake.current_view(seed.LECTURER), {})
    await ws.run_due()
    await lecturer_uploads(ws, case="C2")
    await ws.driver.open_home(seed.ADMIN)
    home = texts([ws.fake.home_view(seed.ADMIN)])
    for state, title in (("依頼中", "受診同行"), ("引受済み", "在留資格の変更"), ("資料提出済み", "就学支援"),
                         ("辞退", "母子家庭の相談")):
        assert f"*{state}*（1件）" in home
        assert title in home
    assert home.index("*依頼中*") < home.index("*引受済み*") < home.index("*資料提出済み*") < home.index("*辞退*")
    (review,) = with_word(ws, seed.ADMIN, "承認をお願いします")
    await ws.driver.press(seed.ADMIN, review, ids.REQUEST_APPROVE)
    await ws.driver.open_home(seed.ADMIN)
    assert "*承認済み*（1件）" in texts([ws.fake.home_view(seed.ADMIN)])


async def test_in_english_for_those_who_chose_it(ws):
    await ws.driver.command(seed.LECTURER, "profile set lang=en")
    await ws.driver.command(seed.ADMIN, "profile set lang=en")
    await ws.driver.command(seed.ADMIN, "admin request")
    form = ws.fake.current_view(seed.ADMIN)
    assert form["title"]["text"] == "Ask for a case"
    reply = await ws.driver.submit_view(seed.ADMIN, form, values(due="2027-04-01"))
    assert "from tomorrow on" in reply.ack["errors"][field("due")]
    await ws.driver.submit_view(seed.ADMIN, form, values())
    await ws.run_due()
    (dm,) = request_dms(ws, seed.LECTURER)
    assert "asks you to write a case" in texts([dm]) and "Medical care and welfare" in texts([dm])
    await accept(ws)
    assert len(with_word(ws, seed.ADMIN, "accepted request Q1")) == 1
    await ws.advance(timedelta(days=13))
    assert len(with_word(ws, seed.LECTURER, "due in a week")) == 1


async def test_someone_asked_for_the_first_time_sees_and_answers_the_request_on_their_home_tab(ws):
    newcomer = (await add_coordinators(ws, 1, prefix="UNEWLEC"))[0]  # not yet a lecturer
    await ask(ws, lecturer=newcomer, title="技能実習生の労災")
    await ws.run_due()
    await ws.driver.open_home(newcomer)
    home = ws.fake.home_view(newcomer)
    assert "あなたへの事例作成の依頼" in texts([home]) and "技能実習生の労災" in texts([home])
    await ws.driver.press(newcomer, home, ids.REQUEST_ACCEPT)
    await ws.run_due()
    assert len(with_word(ws, newcomer, "依頼 Q1 を引き受けました")) == 1  # answered in the DM (no response_url)
    async with ws.deps.uow() as uow:
        case = await uow.cases.by_code("C1")
        assert case.lecturer_user_id == newcomer and "lecturer" in [g.role for g in await uow.roles.of(newcomer)]
    await ws.driver.open_home(newcomer)
    home = ws.fake.home_view(newcomer)
    assert "*引受済み*（1件）" in texts([home]) and ids.REQUEST_ACCEPT not in texts([home])


async def test_waiting_material_is_approved_from_the_home_tab_by_any_admin_but_its_uploader(ws):
    ws.fake.add_user(SECOND_ADMIN, "事務局 二人目")
    await ws.driver.command(seed.ADMIN, f"admin role <@{SECOND_ADMIN}> admin")
    await ask(ws)
    await ws.run_due()
    await accept(ws)
    await lecturer_uploads(ws, lecturer=seed.ADMIN)  # the admin who asked uploads it for the lecturer
    await ws.driver.open_home(seed.ADMIN)
    await ws.driver.press(seed.ADMIN, ws.fake.home_view(seed.ADMIN), ids.REQUEST_APPROVE)
    assert len(with_word(ws, seed.ADMIN, "ご自分でアップロードした資料は承認できません")) == 1
    await ws.driver.open_home(SECOND_ADMIN)
    home = ws.fake.home_view(SECOND_ADMIN)
    assert "Q1 の資料を承認する" in texts([home])
    await ws.driver.press(SECOND_ADMIN, home, ids.REQUEST_APPROVE)
    await ws.run_due()
    assert len(with_word(ws, SECOND_ADMIN, "資料を承認しました")) == 1
    async with ws.deps.uow() as uow:
        assert (await uow.case_requests.by_code("Q1")).status == "approved"
    await ws.driver.open_home(SECOND_ADMIN)
    assert ids.REQUEST_APPROVE not in texts([ws.fake.home_view(SECOND_ADMIN)])


async def test_a_lecturer_who_forgets_themselves_leaves_no_id_and_no_reason_in_the_requests(ws):
    asked = (await add_coordinators(ws, 1, prefix="UFORGET"))[0]
    await ask(ws, lecturer=asked)
    await ws.run_due()
    await ws.driver.press(asked, request_dms(ws, asked)[-1], ids.REQUEST_DECLINE)
    await ws.driver.submit_view(asked, ws.fake.current_view(asked), {
        ids.REQUEST_REASON_BLOCK: {ids.REQUEST_REASON_INPUT: "家族の介護のため"}})
    await ws.run_due()
    await ws.driver.command(asked, "forget-me confirm")
    async with ws.deps.uow() as uow:
        (request,) = await uow.case_requests.all()
    assert request.lecturer_user_id != asked and request.reason_encrypted is None
    assert request.status == "declined"
    await ws.driver.open_home(seed.ADMIN)
    home = texts([ws.fake.home_view(seed.ADMIN)])
    assert asked not in home and "（データ削除済みの利用者）" in home
