"""Issue 22 through the real AsyncApp: a 中断 button on every question of the DM survey, a Home-tab
button that resumes where the person stopped, and キャンセル / help typed on a choice question."""

from __future__ import annotations

from bot import ids
from bot.local import seed
from bot.local.slack.blockkit import validate_view
from bot.surveys.definitions import load_survey
from tests.handlers.conftest import texts
from tests.handlers.test_survey_dialog import (answer_survey, dialog_message, invitation, send_planning,
                                               shown_question, stored)

PLANNING = load_survey("planning")
COORDINATORS = [c[0] for c in seed.COORDINATORS]
GREETING = "/jirei help"  # the bot's ordinary answer to a DM it has no use for


def action_ids(blocks: list[dict]) -> list[str]:
    found = [(b.get("accessory") or {}).get("action_id") for b in blocks]
    found += [e.get("action_id") for b in blocks for e in b.get("elements") or [] if isinstance(e, dict)]
    return [a for a in found if a]


async def home_of(ws, user: str) -> dict:
    await ws.driver.open_home(user)
    home = ws.fake.home_view(user)
    assert home is not None and validate_view(home) == []
    return home


def survey_button(home: dict, run_code: str) -> dict:
    return next(b["accessory"] for b in home["blocks"]
                if (b.get("accessory") or {}).get("action_id") == ids.SURVEY_START
                and b["accessory"]["value"].startswith(f"{run_code}|"))


async def test_every_question_has_a_pause_button_that_keeps_the_answers(ws):
    code = await send_planning(ws)
    user = COORDINATORS[0]
    await ws.driver.press(user, invitation(ws, user, code), ids.SURVEY_START)
    message = dialog_message(ws, user, code)
    seen = []
    # Through every question (single, multi, free text): each one carries 中断.
    for label in (f"{ids.SURVEY_CHOOSE}:needed", f"{ids.SURVEY_CHOOSE}:people_5_6", f"{ids.SURVEY_CHOOSE}:min_90"):
        assert ids.SURVEY_CANCEL in action_ids(message["blocks"]) and "中断する" in texts([message])
        seen.append(shown_question(message))
        await ws.driver.press(user, message, label)
        message = ws.fake.message(message["channel"], message["ts"])
    assert seen == ["need", "group_size", "duration"]
    assert shown_question(message) == "themes" and ids.SURVEY_CANCEL in action_ids(message["blocks"])
    # Paused on a choice question: the message says so in place and offers to go on.
    await ws.driver.press(user, message, ids.SURVEY_CANCEL)
    paused = ws.fake.message(message["channel"], message["ts"])
    assert "中断しました" in texts([paused]) and ids.SURVEY_START in action_ids(paused["blocks"])
    _, responses, progress, _ = await stored(ws, code)
    assert responses == [] and len(progress) == 1  # the three answers are kept, encrypted
    await ws.driver.press(user, paused, ids.SURVEY_START)
    assert shown_question(dialog_message(ws, user, code)) == "themes"


async def test_cancel_and_help_typed_on_a_choice_question_get_the_right_answer(ws):
    code = await send_planning(ws)
    user = COORDINATORS[1]
    await ws.driver.press(user, invitation(ws, user, code), ids.SURVEY_START)
    await ws.driver.press(user, dialog_message(ws, user, code), f"{ids.SURVEY_CHOOSE}:needed")
    for typed in ("help", "ヘルプ", "ＨＥＬＰ"):
        await ws.driver.send_dm(user, typed)
        reply = texts(ws.fake.dm_messages(user)[-1:])
        assert "ボタン" in reply and "回答してください" in reply and GREETING in reply
        assert "回答として受け取っていません" not in reply  # that is the free-text question's note
    await ws.driver.send_dm(user, "キャンセル")
    reply = ws.fake.dm_messages(user)[-1]
    assert "中断しました" in texts([reply]) and ids.SURVEY_START in action_ids(reply["blocks"])
    # Paused: a DM is the bot's ordinary answer again, and nothing was taken as an answer.
    await ws.driver.send_dm(user, "cancel")
    after = texts(ws.fake.dm_messages(user)[-1:])
    assert "中断しました" not in after and GREETING in after
    await ws.driver.press(user, reply, ids.SURVEY_START)
    assert shown_question(dialog_message(ws, user, code)) == "group_size"
    # In English too.
    await ws.driver.command(user, "profile set lang=en")
    await ws.driver.send_dm(user, "help")
    assert "buttons" in texts(ws.fake.dm_messages(user)[-1:])
    await ws.driver.send_dm(user, "cancel")
    assert "paused" in texts(ws.fake.dm_messages(user)[-1:])


async def test_the_home_tab_starts_a_survey_and_resumes_it_where_it_stopped(ws):
    code = await send_planning(ws)
    user = COORDINATORS[2]
    home = await home_of(ws, user)
    start = survey_button(home, code)
    assert start["text"]["text"] == "回答を始める"
    await ws.driver.press(user, home, ids.SURVEY_START)
    message = dialog_message(ws, user, code)
    assert shown_question(message) == "need"
    await ws.driver.press(user, message, f"{ids.SURVEY_CHOOSE}:needed")
    message = ws.fake.message(message["channel"], message["ts"])
    await ws.driver.press(user, message, ids.SURVEY_CANCEL)
    home = await home_of(ws, user)
    assert survey_button(home, code)["text"]["text"] == "続きから回答する"
    await ws.driver.press(user, home, ids.SURVEY_START)
    resumed = dialog_message(ws, user, code)
    assert resumed["ts"] != message["ts"] and shown_question(resumed) == "group_size"
    # Once finished, the survey leaves the Home tab; a stale Home button says so in the DM.
    finished = COORDINATORS[3]
    stale = await home_of(ws, finished)
    await answer_survey(ws, finished, code, {"need": "not_needed"})
    for label in (f"{ids.SURVEY_CHOOSE}:people_5_6", f"{ids.SURVEY_CHOOSE}:min_90"):
        await ws.driver.press(user, resumed, label)
        resumed = ws.fake.message(resumed["channel"], resumed["ts"])
    await ws.driver.press(user, resumed, ids.SURVEY_NEXT)  # themes needs a choice: told so
    assert "1つ以上選んで" in texts(ws.fake.ephemerals(user)[-1:])
    await ws.driver.send_dm(user, "キャンセル")
    assert ids.SURVEY_START in action_ids((await home_of(ws, user))["blocks"])
    assert not any((b.get("accessory") or {}).get("value", "").startswith(f"{code}|")
                   for b in (await home_of(ws, finished))["blocks"])
    await ws.driver.press(finished, stale, ids.SURVEY_START)
    assert "回答済み" in texts(ws.fake.dm_messages(finished)[-1:])
