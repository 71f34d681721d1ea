"""Issue 6 through the real AsyncApp: survey runs sent by admins and after a session, the DM
dialog one question at a time, the seed's 25 respondents, reports, reminders and the deadline."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from bot import ids
from bot.local import seed
from bot.surveys.blocks import survey_value
from bot.surveys import service as surveys
from bot.surveys import views as survey_views
from bot.surveys.definitions import load_survey
from bot.surveys.report import render_text
from tests.bot.surveys.seed_data import drive_seed_respondents, seed_tables
from tests.handlers.conftest import add_coordinators, announced, texts

PLANNING = load_survey("planning")
COORDINATORS = [c[0] for c in seed.COORDINATORS]


# --- playing a respondent --------------------------------------------------------------------------


def _values(message: dict) -> list[str]:
    found = []
    for block in message.get("blocks") or []:
        for element in block.get("elements") or []:
            if isinstance(element, dict):
                found += [element.get("value") or ""] + [o.get("value", "") for o in element.get("options") or []]
    return found


def invitation(ws, user: str, run_code: str) -> dict:
    return next(m for m in reversed(ws.fake.dm_messages(user)) if ids.SURVEY_START in json.dumps(m.get("blocks"))
                and any(v.startswith(f"{run_code}|") for v in _values(m)))


def dialog_message(ws, user: str, run_code: str) -> dict | None:
    """The newest dialog message of this run in the person's DM (it is updated in place)."""
    for message in reversed(ws.fake.dm_messages(user)):
        answer_blocks = [b for b in message.get("blocks") or []
                         if str(b.get("block_id", "")).startswith(f"{ids.SURVEY_ANSWER_BLOCK}:")]
        if answer_blocks and any(v.startswith(f"{run_code}|") for v in _values(message)):
            return message
    return None


def shown_question(message: dict) -> str:
    block = next(b for b in message["blocks"] if str(b.get("block_id", "")).startswith(f"{ids.SURVEY_ANSWER_BLOCK}:"))
    return block["block_id"].split(":", 1)[1]


async def answer_survey(ws, user: str, run_code: str, answers: dict, *, text_by: str = "dm",
                        double_click: bool = False) -> None:
    """Answer every question through the DM dialog as a person would; with `double_click`,
    every button is pressed a second time on the message as it was before the first press."""
    async with ws.deps.uow() as uow:
        survey = load_survey((await uow.surveys.run_by_code(run_code)).survey_id)
    await ws.driver.press(user, invitation(ws, user, run_code), ids.SURVEY_START)
    message = dialog_message(ws, user, run_code)
    for question in survey.questions:
        assert shown_question(message) == question.id
        answer = answers.get(question.id)
        before = message
        if answer is None:
            await ws.driver.press(user, message, ids.SURVEY_SKIP)
        elif question.kind in ("single", "scale5") and len(question.options) <= 5:
            await ws.driver.press(user, message, f"{ids.SURVEY_CHOOSE}:{answer}")
        elif question.kind == "single":
            await ws.driver.click(user, ids.SURVEY_CHOOSE, survey_value(run_code, question.id, answer), message=message)
        elif question.kind == "multi":
            await ws.driver.click(user, ids.SURVEY_MULTI, [survey_value(run_code, question.id, o) for o in answer],
                                  message=message)
            await ws.driver.press(user, ws.fake.message(message["channel"], message["ts"]), ids.SURVEY_NEXT)
        elif text_by == "dm":
            await ws.driver.send_dm(user, answer)
        else:
            await ws.driver.press(user, message, ids.SURVEY_TEXT_OPEN)
            view = ws.fake.current_view(user)
            await ws.driver.submit_view(user, view, {ids.SURVEY_TEXT_BLOCK: {ids.SURVEY_TEXT_INPUT: answer}})
        if double_click and question.kind != "text":
            label = ids.SURVEY_SKIP if answer is None else (
                ids.SURVEY_NEXT if question.kind == "multi" else f"{ids.SURVEY_CHOOSE}:{answer}")
            await ws.driver.press(user, before, label)
        message = dialog_message(ws, user, run_code) or message
    last = ws.fake.dm_messages(user)[-1] if text_by == "dm" else ws.fake.message(message["channel"], message["ts"])
    assert "ご回答ありがとうございました" in texts([last]) or "Thank you" in texts([last])


async def send_planning(ws) -> str:
    await ws.driver.command(seed.ADMIN, "admin survey planning")
    await ws.run_due()
    async with ws.deps.uow() as uow:
        run = (await uow.surveys.open_runs("planning"))[-1]
    return run.code


async def stored(ws, run_code: str):
    async with ws.deps.uow() as uow:
        run = await uow.surveys.run_by_code(run_code)
        responses = await uow.surveys.responses(run.id)
        progress = [p for u in COORDINATORS for p in [await uow.surveys.progress(run.id, u)] if p]
        invites = {u: (await uow.surveys.invite(run.id, u)) for u in COORDINATORS}
    return run, responses, progress, invites


# --- the seed's 25 -----------------------------------------------------------------------------------


async def test_twenty_five_people_answer_in_their_dms_and_the_report_is_the_seeds(ws):
    extra = await add_coordinators(ws, 11)
    people = COORDINATORS + extra
    assert len(people) == 25
    code = await send_planning(ws)
    assert all(invitation(ws, user, code) for user in people)
    progress_messages = [m for m in ws.fake.dm_messages(seed.ADMIN) if "25" in str(m.get("text"))]
    assert progress_messages, "the admin sees the fan-out's progress"

    answers = drive_seed_respondents(PLANNING)
    for index, (user, answer) in enumerate(zip(people, answers)):
        await answer_survey(ws, user, code, answer, text_by="dm" if index % 2 else "modal",
                            double_click=index % 3 == 0)

    async with ws.deps.uow() as uow:
        document, survey, report = await surveys.export_run(uow, code)
    assert (document["invited"], document["respondents"]) == (25, 25)
    for entry, table in zip(document["questions"], seed_tables()):
        assert entry["text"] == table.question
        assert list(entry["counts"].items()) == list(table.rows)
    text = render_text(report, survey)
    for table in seed_tables():
        assert table.block in text
    free_text = next(q for q in document["questions"] if q["kind"] == "text")
    assert sorted(free_text["answers"]) == sorted(a["format_opinion"] for a in answers if a["format_opinion"])

    _, responses, progress, _ = await stored(ws, code)
    assert len(responses) == 25 and progress == []

    reply = await ws.driver.command(seed.ADMIN, f"admin report {code}")
    assert reply.status == 200
    shown = texts(ws.fake.ephemerals(seed.ADMIN)[-1:])
    assert "必要：*21*" in shown and "5～6人：*13*" in shown
    uploads = [f for m in ws.fake.dm_messages(seed.ADMIN) for f in m.get("files") or []]
    assert [f["name"] for f in uploads] == [f"{code}.png"]
    assert ws.fake.file_content(uploads[0]["id"]).startswith(b"\x89PNG")


# --- the dialog --------------------------------------------------------------------------------------


async def test_back_keeps_the_answer_and_the_dialog_resumes_days_later(ws):
    code = await send_planning(ws)
    user = COORDINATORS[0]
    await ws.driver.press(user, invitation(ws, user, code), ids.SURVEY_START)
    message = dialog_message(ws, user, code)
    await ws.driver.press(user, message, f"{ids.SURVEY_CHOOSE}:needed")
    message = ws.fake.message(message["channel"], message["ts"])
    assert shown_question(message) == "group_size"
    assert "問 2/5" in texts([message])
    await ws.driver.press(user, message, ids.SURVEY_BACK)
    message = ws.fake.message(message["channel"], message["ts"])
    assert shown_question(message) == "need"
    needed = next(e for b in message["blocks"] for e in b.get("elements") or []
                  if e.get("action_id") == f"{ids.SURVEY_CHOOSE}:needed")
    assert needed.get("style") == "primary"  # the earlier answer is the default
    await ws.driver.press(user, message, f"{ids.SURVEY_CHOOSE}:needed")

    await ws.advance(timedelta(days=3))
    # Days later, 回答を始める again: the same person continues where they stopped.
    await ws.driver.press(user, invitation(ws, user, code), ids.SURVEY_START)
    assert shown_question(dialog_message(ws, user, code)) == "group_size"


async def test_a_multi_question_needs_a_choice_and_optional_questions_can_be_skipped(ws):
    code = await send_planning(ws)
    user = COORDINATORS[1]
    await ws.driver.press(user, invitation(ws, user, code), ids.SURVEY_START)
    message = dialog_message(ws, user, code)
    for label in (f"{ids.SURVEY_CHOOSE}:needed", f"{ids.SURVEY_CHOOSE}:people_5_6", f"{ids.SURVEY_CHOOSE}:min_90"):
        await ws.driver.press(user, message, label)
        message = ws.fake.message(message["channel"], message["ts"])
    assert shown_question(message) == "themes"
    assert ids.SURVEY_SKIP not in json.dumps(message["blocks"])  # not optional for 必要
    await ws.driver.press(user, message, ids.SURVEY_NEXT)
    assert "1つ以上選んで" in texts(ws.fake.ephemerals(user)[-1:])
    await ws.driver.click(user, ids.SURVEY_MULTI, [survey_value(code, "themes", "education")], message=message)
    await ws.driver.click(user, ids.SURVEY_MULTI, [survey_value(code, "themes", "education"),
                                                   survey_value(code, "themes", "labor")], message=message)
    await ws.driver.press(user, message, ids.SURVEY_NEXT)
    message = ws.fake.message(message["channel"], message["ts"])
    assert shown_question(message) == "format_opinion"
    await ws.driver.press(user, message, ids.SURVEY_SKIP)
    assert "ご回答ありがとうございました" in texts([ws.fake.message(message["channel"], message["ts"])])
    await ws.advance(timedelta(days=15))  # the close writes the one response still waiting for its batch
    async with ws.deps.uow() as uow:
        document, _, _ = await surveys.export_run(uow, code)
    themes = next(q for q in document["questions"] if q["id"] == "themes")
    assert themes["responses"] == 1  # suppressed counts (fewer than 5), but one response


async def test_double_clicks_and_slack_retries_never_count_twice(ws):
    code = await send_planning(ws)
    user = COORDINATORS[2]
    answers = {"need": "not_needed", "group_size": None, "duration": None, "themes": None, "format_opinion": None}
    await ws.driver.press(user, invitation(ws, user, code), ids.SURVEY_START)
    message = dialog_message(ws, user, code)
    # A retried request: Slack sends the very same payload (same action_ts) again.
    ws.driver._ts = lambda: "1800000000.000100"
    await ws.driver.press(user, message, f"{ids.SURVEY_CHOOSE}:not_needed")
    await ws.driver.press(user, message, f"{ids.SURVEY_CHOOSE}:not_needed")
    message = ws.fake.message(message["channel"], message["ts"])
    assert shown_question(message) == "group_size"
    del ws.driver._ts
    for question in ("group_size", "duration", "themes"):
        assert answers[question] is None
        await ws.driver.press(user, message, ids.SURVEY_SKIP)
        message = ws.fake.message(message["channel"], message["ts"])
    # The last question, clicked twice at once: one response.
    await asyncio.gather(*(ws.driver.press(user, message, ids.SURVEY_SKIP) for _ in range(2)))
    # And again later, on the stale message, and through a new start.
    await ws.driver.press(user, message, ids.SURVEY_SKIP)
    await ws.driver.press(user, invitation(ws, user, code), ids.SURVEY_START)
    assert "回答済み" in texts(ws.fake.ephemerals(user)[-1:])
    # One finished dialog, waiting for its batch (fewer than five have finished).
    _, responses, progress, invites = await stored(ws, code)
    assert responses == [] and len(progress) == 1 and not invites[user].completed
    await ws.advance(timedelta(days=15))  # the close writes it, once
    _, responses, progress, invites = await stored(ws, code)
    assert len(responses) == 1 and progress == [] and invites[user].completed


# --- reminders and the deadline ------------------------------------------------------------------------


async def test_reminders_reach_only_those_who_have_not_finished_and_the_run_closes(ws):
    code = await send_planning(ws)
    finished, started, silent = COORDINATORS[:5], COORDINATORS[5], COORDINATORS[6:]
    skip_all = {"need": "not_needed"}
    for user in finished:
        await answer_survey(ws, user, code, skip_all)
    await ws.driver.press(started, invitation(ws, started, code), ids.SURVEY_START)
    await ws.driver.press(started, dialog_message(ws, started, code), f"{ids.SURVEY_CHOOSE}:needed")

    await ws.advance(timedelta(days=11, hours=1))  # past the reminder 3 days before the 14-day deadline
    reminded = {u for u in COORDINATORS if "回答期限が近づいて" in texts(ws.fake.dm_messages(u))}
    assert reminded == {started, *silent}
    # The reminder's button resumes where the person stopped.
    reminder = next(m for m in reversed(ws.fake.dm_messages(started)) if "回答期限が近づいて" in texts([m]))
    await ws.driver.press(started, reminder, ids.SURVEY_START)
    assert shown_question(dialog_message(ws, started, code)) == "group_size"

    late = silent[0]
    await answer_survey(ws, late, code, skip_all)
    await ws.advance(timedelta(days=3))  # past the deadline
    second = {u for u in COORDINATORS if texts(ws.fake.dm_messages(u)).count("回答期限が近づいて") == 2}
    assert second == {started, *silent[1:]}
    run, responses, progress, _ = await stored(ws, code)
    assert run.status == "closed" and len(responses) == 6 and progress == []
    # After the deadline nothing more is taken.
    message = dialog_message(ws, started, code)
    await ws.driver.press(started, message, f"{ids.SURVEY_CHOOSE}:people_3_4")
    # Said to them alone: the dialog's progress (and so its message) is gone with the deadline.
    assert "終了しました" in texts(ws.fake.ephemerals(started)[-1:])
    await ws.driver.press(silent[-1], invitation(ws, silent[-1], code), ids.SURVEY_START)
    assert "終了しました" in texts(ws.fake.ephemerals(silent[-1])[-1:])
    _, responses, _, _ = await stored(ws, code)
    assert len(responses) == 6


# --- after a session ---------------------------------------------------------------------------------------


SESSION = ("admin session new case=C1 bureau=tokyo start=2027-05-15T14:00 minutes=120 capacity=30 min=5 "
           "deadline=2027-05-01T17:00 release=2027-05-07T09:00")


async def six_joined(ws) -> list[str]:
    """S1 announced, and six Tokyo coordinators in it; who they are."""
    await ws.driver.command(seed.ADMIN, 'admin case new title="受診同行の事例" theme=医療・福祉')
    await ws.driver.command(seed.ADMIN, SESSION)
    await announced(ws)
    tokyo = COORDINATORS[:6]
    for user in tokyo:
        await ws.driver.command(user, "join S1")
    return tokyo


async def test_a_held_session_sends_its_attendees_the_post_session_survey(ws):
    tokyo = await six_joined(ws)
    await ws.driver.command(seed.STAFF_TOKYO, "admin survey send S1")
    assert "開催済みになっていません" in texts(ws.fake.ephemerals(seed.STAFF_TOKYO)[-1:])
    await ws.driver.command(seed.STAFF_TOKYO, "admin report S1")
    assert "S1 のアンケートはまだ送信されていません" in texts(ws.fake.ephemerals(seed.STAFF_TOKYO)[-1:])
    await ws.advance(timedelta(days=44, hours=7))  # 15 May 16:00, the session has ended
    async with ws.deps.uow() as uow:
        assert (await uow.sessions.get(1)).status == "held"
        run = (await uow.surveys.runs_for_session(1, "post_session"))[0]
    invited = [u for u in COORDINATORS if any(v.startswith(f"{run.code}|") for m in ws.fake.dm_messages(u)
                                              for v in _values(m))]
    assert invited == tokyo
    survey = load_survey("post_session")
    answers = {q.id: "よかった" if q.kind == "text" else [q.options[0].id] if q.kind == "multi" else q.options[0].id
               for q in survey.questions}
    await answer_survey(ws, tokyo[0], run.code, answers, text_by="modal")
    await ws.driver.command(seed.STAFF_TOKYO, "admin survey send S1")
    assert "送信済み" in texts(ws.fake.ephemerals(seed.STAFF_TOKYO)[-1:])
    await ws.driver.command(seed.STAFF_TOKYO, f"admin report {run.code}")
    assert "回答者 0人（対象 6人）" in texts(ws.fake.ephemerals(seed.STAFF_TOKYO)[-1:])  # waiting for its batch
    for user in tokyo[1:5]:
        await answer_survey(ws, user, run.code, answers, text_by="dm")
    await ws.driver.command(seed.STAFF_TOKYO, f"admin report {run.code}")
    assert "回答者 5人（対象 6人）" in texts(ws.fake.ephemerals(seed.STAFF_TOKYO)[-1:])
    # The session's code names its survey too (issue 16: "S1 is not a code" was the answer).
    await ws.driver.command(seed.STAFF_TOKYO, "admin report s1")
    assert "回答者 5人（対象 6人）" in texts(ws.fake.ephemerals(seed.STAFF_TOKYO)[-1:])
    await ws.driver.command(seed.STAFF_OSAKA, f"admin report {run.code}")
    assert "担当外" in texts(ws.fake.ephemerals(seed.STAFF_OSAKA)[-1:])


async def test_survey_commands_are_for_the_secretariat(ws):
    reply = await ws.driver.command(COORDINATORS[0], "admin survey planning")
    assert "事務局" in str(reply.answer)
    await ws.driver.command(seed.STAFF_TOKYO, "admin survey planning")
    assert "管理者" in texts(ws.fake.ephemerals(seed.STAFF_TOKYO)[-1:])
    await ws.driver.command(seed.ADMIN, "admin report R9")
    assert "R9" in texts(ws.fake.ephemerals(seed.ADMIN)[-1:])
    code = await send_planning(ws)
    await ws.driver.command(seed.ADMIN, "admin survey planning")
    assert code in texts(ws.fake.ephemerals(seed.ADMIN)[-1:])
    async with ws.deps.uow() as uow:
        assert len(await uow.surveys.open_runs("planning")) == 1
    # Someone not invited cannot answer with a copied button.
    ws.fake.add_user("UOUTSIDER", "部外者")
    await ws.driver.press("UOUTSIDER", invitation(ws, COORDINATORS[0], code), ids.SURVEY_START)
    assert "対象になっていません" in texts(ws.fake.ephemerals("UOUTSIDER")[-1:])


# --- a DM while a text question waits (issue 16) ---------------------------------------------------------


async def _held_session_run(ws) -> tuple[list[str], str]:
    tokyo = await six_joined(ws)
    await ws.advance(timedelta(days=44, hours=7))
    async with ws.deps.uow() as uow:
        run = (await uow.surveys.runs_for_session(1, "post_session"))[0]
    return tokyo, run.code


async def _answer_until_text(ws, user: str, run_code: str) -> dict:
    """Choose the first option of every question up to the first free-text one; its message."""
    survey = load_survey("post_session")
    await ws.driver.press(user, invitation(ws, user, run_code), ids.SURVEY_START)
    message = dialog_message(ws, user, run_code)
    for question in survey.questions:
        if question.kind == "text":
            return message
        first = question.options[0].id
        if question.kind == "multi":
            await ws.driver.click(user, ids.SURVEY_MULTI, [survey_value(run_code, question.id, first)], message=message)
            await ws.driver.press(user, ws.fake.message(message["channel"], message["ts"]), ids.SURVEY_NEXT)
        elif len(question.options) <= 5:
            await ws.driver.press(user, message, f"{ids.SURVEY_CHOOSE}:{first}")
        else:
            await ws.driver.click(user, ids.SURVEY_CHOOSE, survey_value(run_code, question.id, first), message=message)
        message = dialog_message(ws, user, run_code)
    raise AssertionError("the post-session survey has no free-text question")


async def test_help_typed_during_a_text_question_is_not_the_answer_and_cancel_pauses(ws):
    tokyo, code = await _held_session_run(ws)
    user = tokyo[0]
    await _answer_until_text(ws, user, code)
    for typed in ("help", "／jirei my", "/jirei help"):
        await ws.driver.send_dm(user, typed)
        assert "回答として受け取っていません" in texts(ws.fake.dm_messages(user)[-1:])
    await ws.driver.send_dm(user, "キャンセル")
    assert "中断しました" in texts(ws.fake.dm_messages(user)[-1:])
    # Paused: a DM is the bot's ordinary hint, not an answer.
    await ws.driver.send_dm(user, "とても参考になりました")
    assert "/jirei help" in texts(ws.fake.dm_messages(user)[-1:])
    _, responses, _, _ = await stored(ws, code)
    assert responses == []
    # Coming back resumes where they were; the DM answers again.
    await ws.driver.press(user, invitation(ws, user, code), ids.SURVEY_START)
    await ws.driver.send_dm(user, "とても参考になりました")
    assert "ご回答ありがとうございました" in texts(ws.fake.dm_messages(user)[-1:])
    async with ws.deps.uow() as uow:
        run = await uow.surveys.run_by_code(code)
        assert await survey_views.answered(uow, run.id, user)  # finished; written with its batch


async def test_the_cancel_button_pauses_the_dialog_in_place(ws):
    tokyo, code = await _held_session_run(ws)
    user = tokyo[1]
    message = await _answer_until_text(ws, user, code)
    await ws.driver.press(user, message, ids.SURVEY_CANCEL)
    assert "中断しました" in texts([ws.fake.message(message["channel"], message["ts"])])
    await ws.driver.send_dm(user, "cancel")  # nothing waits any more: the ordinary hint
    assert "/jirei help" in texts(ws.fake.dm_messages(user)[-1:])
    await ws.driver.press(user, invitation(ws, user, code), ids.SURVEY_START)
    assert shown_question(dialog_message(ws, user, code)) == next(
        q.id for q in load_survey("post_session").questions if q.kind == "text")


async def test_the_dialog_updates_only_its_own_message_whatever_container_a_payload_names(ws):
    code = await send_planning(ws)
    user, other = COORDINATORS[0], COORDINATORS[1]
    await ws.driver.press(user, invitation(ws, user, code), ids.SURVEY_START)
    dialog = dialog_message(ws, user, code)
    await ws.driver.press(user, dialog, f"{ids.SURVEY_CHOOSE}:needed")
    dialog = ws.fake.message(dialog["channel"], dialog["ts"])
    assert shown_question(dialog) == "group_size"
    # Back, in a payload whose container is another bot message: someone else's invitation.
    victim = invitation(ws, other, code)
    before = json.dumps(ws.fake.message(victim["channel"], victim["ts"]), sort_keys=True)
    await ws.driver.click(user, ids.SURVEY_BACK, message={**victim, "blocks": dialog["blocks"]})
    assert json.dumps(ws.fake.message(victim["channel"], victim["ts"]), sort_keys=True) == before
    assert shown_question(ws.fake.message(dialog["channel"], dialog["ts"])) == "need"
    # Not even attempted.
    assert not [c for c in ws.fake.calls if c.method == "chat.update" and c.params.get("ts") == victim["ts"]]


async def test_slack_refusing_the_dialog_update_keeps_the_answer_and_says_to_try_again(ws):
    # Found by the year simulator: a 500 on chat.update made the button's request end in a 404.
    code = await send_planning(ws)
    user = COORDINATORS[0]
    await ws.driver.press(user, invitation(ws, user, code), ids.SURVEY_START)
    dialog = dialog_message(ws, user, code)
    ws.fake.fail("chat.update", 500, times=1)
    told = len(ws.fake.ephemerals(user))
    reply = await ws.driver.press(user, dialog, f"{ids.SURVEY_CHOOSE}:needed")
    assert reply.status == 200
    assert "もう一度お試しください" in texts(ws.fake.ephemerals(user)[told:])
    assert shown_question(ws.fake.message(dialog["channel"], dialog["ts"])) == "need"  # Slack kept the old one
    # pressed again, the answer already kept moves the dialog on
    await ws.driver.press(user, dialog, f"{ids.SURVEY_CHOOSE}:needed")
    assert shown_question(ws.fake.message(dialog["channel"], dialog["ts"])) == "group_size"
