"""Profiles, the pledge, the Home tab and help, driven through the real AsyncApp."""

from bot import ids
from bot.local import seed
from tests.handlers.conftest import texts

NEWCOMER = "UNEW0001"


async def test_profile_modal_saves_and_refreshes_home(ws):
    ws.fake.add_user(NEWCOMER, "新人 さん")
    reply = await ws.driver.command(NEWCOMER, "profile")
    assert [c.method for c in reply.calls if c.method == "views.open"] == ["views.open"]
    view = ws.fake.current_view(NEWCOMER)
    assert view["callback_id"] == ids.PROFILE_VIEW and len(view["title"]["text"]) <= 24
    values = {
        ids.PROFILE_NAME_BLOCK: {ids.PROFILE_NAME_INPUT: "新人 花子"},
        ids.PROFILE_PREFECTURE_BLOCK: {ids.PROFILE_PREFECTURE_INPUT: "沖縄県"},
        ids.PROFILE_AFFILIATION_BLOCK: {ids.PROFILE_AFFILIATION_INPUT: "private"},
        ids.PROFILE_THEMES_BLOCK: {ids.PROFILE_THEMES_INPUT: ["education", "labor"]},
        ids.PROFILE_LANG_BLOCK: {ids.PROFILE_LANG_INPUT: "ja"},
        ids.PROFILE_NUDGES_BLOCK: {ids.PROFILE_NUDGES_INPUT: "on"},
    }
    reply = await ws.driver.submit_view(NEWCOMER, view, values)
    assert reply.status == 200 and not (reply.ack or {}).get("errors")
    async with ws.deps.uow() as uow:
        person = await uow.coordinators.get(NEWCOMER)
    assert (person.name, person.bureau, person.affiliation, person.themes) == (
        "新人 花子", "fukuoka", "private", ["education", "labor"])
    assert "プロフィールを保存しました" in texts(ws.fake.dm_messages(NEWCOMER))
    assert ws.fake.home_view(NEWCOMER) is not None
    assert ws.fake.violations == []


async def test_profile_modal_errors_go_back_into_the_modal(ws):
    ws.fake.add_user(NEWCOMER, "新人 さん")
    await ws.driver.command(NEWCOMER, "profile")
    view = ws.fake.current_view(NEWCOMER)
    reply = await ws.driver.submit_view(NEWCOMER, view, {
        ids.PROFILE_NAME_BLOCK: {ids.PROFILE_NAME_INPUT: "<@U123> everyone"},
        ids.PROFILE_PREFECTURE_BLOCK: {ids.PROFILE_PREFECTURE_INPUT: "東京都"},
        ids.PROFILE_AFFILIATION_BLOCK: {ids.PROFILE_AFFILIATION_INPUT: "public"},
        ids.PROFILE_LANG_BLOCK: {ids.PROFILE_LANG_INPUT: "ja"},
        ids.PROFILE_NUDGES_BLOCK: {ids.PROFILE_NUDGES_INPUT: "on"},
    })
    assert reply.ack["response_action"] == "errors"
    assert ids.PROFILE_NAME_BLOCK in reply.ack["errors"]
    async with ws.deps.uow() as uow:
        assert await uow.coordinators.get(NEWCOMER) is None  # nothing half-saved


async def test_profile_set_and_language_switch_answer_in_the_new_language(ws):
    ws.fake.add_user(NEWCOMER, "New person")
    await ws.driver.command(NEWCOMER, "profile set name=Alex prefecture=大阪 affiliation=public lang=en")
    saved = ws.fake.ephemerals(NEWCOMER)[-1]
    assert "Your profile is saved" in texts([saved])
    await ws.driver.command(NEWCOMER, "profile set prefecture=Atlantis")
    assert "No prefecture" in texts(ws.fake.ephemerals(NEWCOMER)[-1:])


async def test_pledge_button_records_acceptance_and_audit(ws):
    ws.fake.add_user(NEWCOMER, "新人 さん")
    await ws.driver.command(NEWCOMER, "pledge")
    shown = ws.fake.ephemerals(NEWCOMER)[-1]
    assert "守秘義務" in texts([shown])
    await ws.driver.press(NEWCOMER, shown, ids.ACCEPT_PLEDGE)
    async with ws.deps.uow() as uow:
        person = await uow.coordinators.get(NEWCOMER)
        audit = await uow.audit.entries(actor=NEWCOMER, action="pledge.accept")
    assert person.pledge_accepted_at == ws.clock.now() and len(audit) == 1


async def test_home_tab_shows_profile_and_pledge_state(ws):
    await ws.driver.open_home(seed.COORDINATORS[0][0])
    home = ws.fake.home_view(seed.COORDINATORS[0][0])
    assert home["type"] == "home" and "佐藤 花子" in str(home) and "✅" in str(home)


async def test_help_differs_by_role_and_language(ws):
    coordinator = await ws.driver.command(seed.COORDINATORS[0][0], "help")
    admin = await ws.driver.command(seed.ADMIN, "help")
    assert "admin session new" not in str(coordinator.answer)
    assert "admin session new" in str(admin.answer)
    await ws.driver.command(seed.COORDINATORS[1][0], "profile set lang=en")
    english = await ws.driver.command(seed.COORDINATORS[1][0], "help")
    assert "How to use Jirei" in str(english.answer)


async def test_a_retried_event_has_one_effect(ws):
    user = seed.COORDINATORS[0][0]
    event = {"type": "message", "channel": ws.fake.dm_channel_id(user), "user": user, "text": "こんにちは",
             "ts": "1800000000.000100", "channel_type": "im"}
    await ws.driver.event(event, event_id="Ev0001")
    await ws.driver.event(event, event_id="Ev0001", retry_num=1)
    replies = [m for m in ws.fake.dm_messages(user) if m.get("user") == ws.fake.bot_user_id]
    assert len(replies) == 1 and "/jirei help" in replies[0]["text"]


# --- codes and widths people do not think in (issue 16) -------------------------------------------------


async def test_profile_set_takes_the_names_its_messages_show(ws):
    ws.fake.add_user(NEWCOMER, "新人 さん")
    await ws.driver.command(NEWCOMER, "profile set affiliation=maybe")
    refusal = texts(ws.fake.ephemerals(NEWCOMER)[-1:])
    assert "公的機関" in refusal and "民間団体" in refusal
    await ws.driver.command(NEWCOMER, "profile set name=新人 prefecture=愛知県 affiliation=公的機関 nudges=受け取らない")
    await ws.driver.command(NEWCOMER, "profile set lang=English")
    async with ws.deps.uow() as uow:
        person = await uow.coordinators.get(NEWCOMER)
    assert (person.affiliation, person.nudges_enabled, person.lang) == ("public", False, "en")
    await ws.driver.command(NEWCOMER, 'profile set affiliation="Private organisation" lang=日本語')
    async with ws.deps.uow() as uow:
        person = await uow.coordinators.get(NEWCOMER)
    assert (person.affiliation, person.lang) == ("private", "ja")


async def test_admin_role_takes_japanese_role_names_and_answers_without_codes(ws):
    ws.fake.add_user(NEWCOMER, "新人 さん")
    ws.fake.add_user("U0LECT2", "講師 二")  # Slack mentions only people of the workspace
    await ws.driver.command(seed.ADMIN, f"admin role <@{NEWCOMER}> 地方局担当者:名古屋")
    answer = texts(ws.fake.ephemerals(seed.ADMIN)[-1:])
    assert "地方局担当者（名古屋）" in answer and "nagoya" not in answer and "bureau_staff" not in answer
    await ws.driver.command(seed.ADMIN, f"admin role <@{NEWCOMER}> 講師")
    await ws.driver.command(seed.ADMIN, "admin role U0LECT2 事務局")
    async with ws.deps.uow() as uow:
        newcomer = (await uow.coordinators.identity(NEWCOMER)).grants
        secretariat = (await uow.coordinators.identity("U0LECT2")).grants
    assert {role for role, _ in newcomer} == {"bureau_staff", "lecturer"}
    assert [role for role, _ in secretariat] == ["admin"]


async def test_full_width_commands_are_understood_and_a_typed_command_gets_a_hint(ws):
    user = seed.COORDINATORS[0][0]
    await ws.driver.command(user, "ｈｅｌｐ")
    assert "/jirei profile" in texts(ws.fake.ephemerals(user)[-1:])
    await ws.driver.command(user, "ｊｏｉｎ　Ｓ１")
    assert "事例検討会 S1 は見つかりません" in texts(ws.fake.ephemerals(user)[-1:])
    await ws.driver.send_dm(user, "／jirei my")
    assert "全角の「／」" in texts(ws.fake.dm_messages(user)[-1:])
    await ws.driver.send_dm(user, "こんにちは")
    assert "/jirei help" in texts(ws.fake.dm_messages(user)[-1:])
