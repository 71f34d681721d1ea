"""Issue 22 through the real AsyncApp: a free-text survey answer goes through the personal-data check
before anything of it is stored; when it finds something the respondent sees the proposal and
chooses: store the proposal, edit, or keep their own text after confirming."""

from __future__ import annotations

import json
import logging

from bot import ids
from bot.surveys.dialog import Progress
from tests.handlers.conftest import texts
from tests.handlers.test_survey_dialog import _answer_until_text, _held_session_run

PHONE = "090-1234-5678"
PERSONAL = f"田中太郎さん（{PHONE}）に受診同行をお願いした件がとても参考になりました。"


async def progress_of(ws, run_code: str, user: str) -> Progress | None:
    async with ws.deps.uow() as uow:
        run = await uow.surveys.run_by_code(run_code)
        row = await uow.surveys.progress(run.id, user)
        return Progress.model_validate(uow.cipher.decrypt_json(row.state_encrypted)) if row else None


def proposal_message(ws, user: str) -> dict:
    return next(m for m in reversed(ws.fake.dm_messages(user)) if ids.SURVEY_TEXT_EDIT in json.dumps(m.get("blocks"))
                or ids.SURVEY_TEXT_KEEP_CONFIRM in json.dumps(m.get("blocks")))


def block_text(message: dict, block_id: str) -> str | None:
    return next((b["text"]["text"] for b in message.get("blocks") or [] if b.get("block_id") == block_id), None)


async def nothing_stored_yet(ws, code: str, user: str) -> None:
    progress = await progress_of(ws, code, user)
    assert progress is not None and not progress.done and progress.answers.get("comments") is None
    async with ws.deps.uow() as uow:
        run = await uow.surveys.run_by_code(code)
        assert await uow.surveys.responses(run.id) == []
        audit = await uow.audit.entries()
    assert PHONE not in json.dumps([vars(e) for e in audit], default=str, ensure_ascii=False)


async def test_a_phone_number_typed_in_the_dm_is_shown_as_a_proposal_and_the_proposal_is_stored(ws, caplog):
    caplog.set_level(logging.INFO)
    tokyo, code = await _held_session_run(ws)
    user = tokyo[0]
    await _answer_until_text(ws, user, code)
    await ws.driver.send_dm(user, PERSONAL)
    message = proposal_message(ws, user)
    shown = texts([message])
    assert "電話番号" in shown and "氏名" in shown and "まだ保存していません" in shown
    proposal = block_text(message, ids.SURVEY_PROPOSAL_BLOCK)
    assert PHONE not in proposal and "田中太郎" not in proposal and "受診同行" in proposal
    assert block_text(message, ids.SURVEY_ORIGINAL_BLOCK) == PERSONAL
    await nothing_stored_yet(ws, code, user)

    await ws.driver.press(user, message, ids.SURVEY_TEXT_USE_PROPOSAL)
    progress = await progress_of(ws, code, user)
    assert progress.done and progress.answers["comments"] == proposal  # stored encrypted, as every answer
    replaced = ws.fake.message(message["channel"], message["ts"])
    assert "提案の文で回答を保存しました" in texts([replaced]) and PHONE not in texts([replaced])
    assert "ご回答ありがとうございました" in texts(ws.fake.dm_messages(user)[-1:])
    # A second press on the old message changes nothing.
    await ws.driver.press(user, message, ids.SURVEY_TEXT_USE_PROPOSAL)
    assert (await progress_of(ws, code, user)).answers["comments"] == proposal
    assert PHONE not in caplog.text and "田中太郎" not in caplog.text


async def test_keeping_ones_own_text_asks_first_and_then_stores_it_as_written(ws, caplog):
    caplog.set_level(logging.INFO)
    tokyo, code = await _held_session_run(ws)
    user = tokyo[1]
    message = await _answer_until_text(ws, user, code)
    # Through the answer form this time.
    await ws.driver.press(user, message, ids.SURVEY_TEXT_OPEN)
    await ws.driver.submit_view(user, ws.fake.current_view(user),
                                {ids.SURVEY_TEXT_BLOCK: {ids.SURVEY_TEXT_INPUT: PERSONAL}})
    proposal = proposal_message(ws, user)
    await nothing_stored_yet(ws, code, user)
    await ws.driver.press(user, proposal, ids.SURVEY_TEXT_KEEP)
    confirming = ws.fake.message(proposal["channel"], proposal["ts"])
    assert "よろしいですか" in texts([confirming]) and ids.SURVEY_TEXT_USE_PROPOSAL not in json.dumps(confirming)
    await nothing_stored_yet(ws, code, user)
    await ws.driver.press(user, confirming, ids.SURVEY_TEXT_KEEP_BACK)
    back = ws.fake.message(proposal["channel"], proposal["ts"])
    assert ids.SURVEY_TEXT_USE_PROPOSAL in json.dumps(back) and ids.SURVEY_TEXT_KEEP_CONFIRM not in json.dumps(back)
    await ws.driver.press(user, back, ids.SURVEY_TEXT_KEEP)
    await ws.driver.press(user, ws.fake.message(proposal["channel"], proposal["ts"]), ids.SURVEY_TEXT_KEEP_CONFIRM)
    progress = await progress_of(ws, code, user)
    assert progress.done and progress.answers["comments"] == PERSONAL
    async with ws.deps.uow() as uow:
        run = await uow.surveys.run_by_code(code)
        row = await uow.surveys.progress(run.id, user)
    assert PHONE.encode() not in row.state_encrypted  # encrypted at rest, as today
    assert "入力された文のまま回答を保存しました" in texts([ws.fake.message(proposal["channel"], proposal["ts"])])
    assert PHONE not in caplog.text


async def test_editing_opens_the_form_with_the_text_and_the_edit_is_checked_again(ws):
    tokyo, code = await _held_session_run(ws)
    user = tokyo[2]
    await _answer_until_text(ws, user, code)
    await ws.driver.send_dm(user, PERSONAL)
    proposal = proposal_message(ws, user)
    await ws.driver.press(user, proposal, ids.SURVEY_TEXT_EDIT)
    view = ws.fake.current_view(user)
    field = view["blocks"][1]["element"]
    assert field["initial_value"] == PERSONAL
    assert "入力画面で回答を編集" in texts([ws.fake.message(proposal["channel"], proposal["ts"])])
    # Still a phone number: asked again, nothing stored.
    await ws.driver.submit_view(user, view, {ids.SURVEY_TEXT_BLOCK: {ids.SURVEY_TEXT_INPUT: f"電話 {PHONE} の件"}})
    assert proposal_message(ws, user)["ts"] != proposal["ts"]
    await nothing_stored_yet(ws, code, user)
    # A clean text goes straight in.
    await ws.driver.press(user, proposal_message(ws, user), ids.SURVEY_TEXT_EDIT)
    await ws.driver.submit_view(user, ws.fake.current_view(user),
                                {ids.SURVEY_TEXT_BLOCK: {ids.SURVEY_TEXT_INPUT: "資料の事例がとても参考になりました。"}})
    progress = await progress_of(ws, code, user)
    assert progress.done and progress.answers["comments"] == "資料の事例がとても参考になりました。"


async def test_in_english_the_proposal_speaks_english(ws):
    tokyo, code = await _held_session_run(ws)
    user = tokyo[3]
    await ws.driver.command(user, "profile set lang=en")
    await _answer_until_text(ws, user, code)
    await ws.driver.send_dm(user, f"Please call me at {PHONE}.")
    shown = texts([proposal_message(ws, user)])
    assert "has not been saved yet" in shown and "Keep my text as it is" in shown
