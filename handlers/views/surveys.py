"""The free-text answer modal of the survey dialog."""

from __future__ import annotations

from bot import ids
from bot.surveys.blocks import build_text_proposal, parse_survey_value
from bot.core.i18n import t
from bot.surveys import service as surveys
from bot.core.refusal import Refusal
from bot.surveys.results import Step
from bot.surveys.dialog import MAX_TEXT_LENGTH, Outcome, current_question
from handlers.actions.surveys import screen, show_dialog
from handlers.context import actor_of, deps_of, message

MAX_METADATA = 400


def _survey_value(view: dict) -> str:
    raw = view.get("private_metadata") or ""
    return raw if isinstance(raw, str) and len(raw) <= MAX_METADATA else ""


def _typed_text(view: dict) -> str:
    block = ((view.get("state") or {}).get("values") or {}).get(ids.SURVEY_TEXT_BLOCK) or {}
    value = (block.get(ids.SURVEY_TEXT_INPUT) or {}).get("value")
    return value if isinstance(value, str) else ""


async def submit_text(ack, body, view, context, client):
    deps = deps_of(context)
    actor = actor_of(context)
    target = parse_survey_value(_survey_value(view))
    if target is None:
        await ack(response_action="errors",
                  errors={ids.SURVEY_TEXT_BLOCK: t("survey_runs.error.bad_button", actor.lang)})
        return
    typed = _typed_text(view)
    # The personal-data check first, outside any transaction: when it finds something, nothing is
    # stored and the person chooses in their DM (the proposal, their own text, or editing).
    proposal = await screen(deps, actor, typed)
    # The service runs before the ack: an unusable answer is shown under the field.
    try:
        async with deps.uow() as uow:
            if proposal is not None:
                state = await surveys.current(uow, deps.clock.now(), actor.user_id, target.run_code)
            else:
                state = await surveys.act(uow, deps.clock.now(), actor.user_id, target.run_code,
                                          Step("text", target.question_id, text=typed))
    except Refusal as err:
        await ack(response_action="errors", errors={ids.SURVEY_TEXT_BLOCK: t(err.key, actor.lang, **err.params)})
        return
    if proposal is not None:
        await ack()
        question = current_question(state.survey, state.progress) if state.answering else None
        if question is not None and question.id == target.question_id:
            blocks = build_text_proposal(target.run_code, question.id, typed.strip(), proposal, actor.lang)
            await client.chat_postMessage(channel=actor.user_id, **message(blocks, blocks[0]["text"]["text"]))
        else:
            await show_dialog(deps, client, actor, state)  # a stale form: show where they are
        return
    if state.outcome is Outcome.INVALID:
        await ack(response_action="errors",
                  errors={ids.SURVEY_TEXT_BLOCK: t(state.error_key, actor.lang, max=MAX_TEXT_LENGTH)})
        return
    await ack()
    await show_dialog(deps, client, actor, state)
