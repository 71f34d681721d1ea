"""The survey dialog's buttons, radio buttons and checkboxes in the DM, and DM replies as
free-text answers.

The run code and question id are read from the element's value (``run|question|option``);
who answers is always the payload's user. Each answer updates the dialog message in place
(chat.update on the container's ts), so the DM shows one question at a time.
"""

from __future__ import annotations

import asyncio
from typing import Any

from slack_sdk.errors import SlackApiError

from bot import ids
from bot.kit import section
from bot.core.pseudonymisation import Proposal
from bot.surveys.blocks import (SurveyValue, build_choice_help, build_dialog_error, build_not_an_answer, build_paused,
                                build_proposal_done, build_question_message, build_text_answer_modal,
                                build_text_proposal, build_thank_you, parse_survey_value)
from bot.deps import Deps
from bot.core.i18n import t
from bot.surveys import service as surveys
from bot.people.results import Actor
from bot.core.refusal import Refusal
from bot.surveys.results import DialogState, DialogStatus, Step
from bot.surveys.dialog import Outcome, current_question
from bot.core.text import normalise, unescape
from handlers.context import actor_of, answer, deps_of, message

MAX_VALUE = 200  # longer than any value we build: anything longer is not ours


# --- reading the payload ------------------------------------------------------------------------


def _action(body: dict) -> dict:
    actions = body.get("actions")
    return actions[0] if isinstance(actions, list) and actions and isinstance(actions[0], dict) else {}


def _parse(value: Any) -> SurveyValue | None:
    return parse_survey_value(value) if isinstance(value, str) and len(value) <= MAX_VALUE else None


def _element_value(action: dict) -> SurveyValue | None:
    """A button's value, or a radio button's selected option."""
    selected = action.get("selected_option")
    return _parse(action.get("value") if selected is None else (selected or {}).get("value"))


def _selection(options: Any, run_code: str, question_id: str) -> tuple[str, ...]:
    """Option ids of selected checkbox options that belong to this question."""
    chosen = []
    for item in options if isinstance(options, list) else []:
        parsed = _parse((item or {}).get("value")) if isinstance(item, dict) else None
        if parsed and parsed.run_code == run_code and parsed.question_id == question_id:
            chosen.append(parsed.option_id)
    return tuple(chosen)


def _checkbox_target(body: dict, action: dict) -> SurveyValue | None:
    """Run and question of a checkbox change; an emptied selection names no option, so they are
    read from the message's own copy of the element."""
    for item in action.get("selected_options") or []:
        parsed = _parse((item or {}).get("value")) if isinstance(item, dict) else None
        if parsed:
            return parsed
    for block in (body.get("message") or {}).get("blocks") or []:
        if block.get("block_id") != action.get("block_id"):
            continue
        for element in block.get("elements") or []:
            for option in element.get("options") or []:
                parsed = _parse(option.get("value"))
                if parsed:
                    return parsed
    return None


def _state_selection(body: dict, target: SurveyValue) -> tuple[str, ...] | None:
    """The checkboxes' current state sent along with a Next click, if Slack sent it."""
    values = (body.get("state") or {}).get("values") or {}
    block = values.get(f"{ids.SURVEY_ANSWER_BLOCK}:{target.question_id}") or {}
    element = block.get(ids.SURVEY_MULTI)
    if not isinstance(element, dict) or "selected_options" not in element:
        return None
    return _selection(element.get("selected_options"), target.run_code, target.question_id)


# --- rendering ---------------------------------------------------------------------------------------


def dialog_blocks(state: DialogState, lang: str) -> list[dict]:
    if state.status is DialogStatus.COMPLETED:
        return build_thank_you(lang)
    if state.status is DialogStatus.CLOSED:
        return [section(t("survey_runs.closed", lang))]
    return build_question_message(state.survey, state.progress, state.run_code, lang)


def dialog_text(state: DialogState, lang: str) -> str:
    """The notification text of a dialog message."""
    if state.status is DialogStatus.CLOSED:
        return t("survey_runs.closed", lang)
    question = current_question(state.survey, state.progress)
    if state.status is DialogStatus.COMPLETED or question is None:
        return t("surveys.thank_you.title", lang)
    return t("survey_runs.dialog_text", lang, title=state.survey.title.get(lang), number=state.progress.step + 1,
             total=len(state.survey.questions))


async def _ephemeral(respond, text: str) -> None:
    await respond(response_type="ephemeral", replace_original=False, text=text)


async def post_dialog(deps: Deps, client, actor: Actor, state: DialogState) -> None:
    """A new dialog message in the person's DM, remembered as the one to update from now on."""
    posted = await client.chat_postMessage(channel=actor.user_id, **message(dialog_blocks(state, actor.lang),
                                                                             dialog_text(state, actor.lang)))
    if state.answering:
        async with deps.uow() as uow:
            await surveys.remember_message(uow, deps.clock.now(), actor.user_id, state.run_code,
                                           str(posted.get("channel") or ""), str(posted.get("ts") or ""))


async def show_dialog(deps: Deps, client, actor: Actor, state: DialogState, respond=None,
                      blocks: list[dict] | None = None) -> None:
    """Show `state` (or `blocks`) in the dialog message the bot posted and stored — never in the
    message a payload names as its container, which a forged payload could point at any bot
    message. With none stored (a dialog started before this was kept): a new dialog message, or
    a short note when there is nothing left to answer."""
    progress = state.progress
    if progress.channel and progress.message_ts:
        content = (message(blocks, blocks[0]["text"]["text"]) if blocks
                   else message(dialog_blocks(state, actor.lang), dialog_text(state, actor.lang)))
        try:
            await client.chat_update(channel=progress.channel, ts=progress.message_ts, **content)
        except SlackApiError:
            # Slack did not take the update (a 5xx, a limit): what was answered is kept, and the person
            # is told to try again rather than left with the old question and nothing said.
            if respond is not None:
                await _ephemeral(respond, t("errors.generic", actor.lang))
    elif blocks:
        if respond is not None:
            await _ephemeral(respond, blocks[0]["text"]["text"])
    elif state.answering or state.outcome is Outcome.DONE or respond is None:
        await post_dialog(deps, client, actor, state)
    else:
        key = "survey_runs.already_completed" if state.status is DialogStatus.COMPLETED else "survey_runs.closed"
        await _ephemeral(respond, t(key, actor.lang))


# --- the dialog ----------------------------------------------------------------------------------------


def _step_for(kind: str, body: dict, action: dict) -> tuple[SurveyValue | None, Step | None]:
    if kind == "multi":
        target = _checkbox_target(body, action)
        if target is None:
            return None, None
        chosen = _selection(action.get("selected_options"), target.run_code, target.question_id)
        return target, Step("multi", target.question_id, option_ids=chosen)
    target = _element_value(action)
    if target is None:
        return None, None
    if kind == "choose":
        return target, Step("choose", target.question_id, option_id=target.option_id)
    if kind == "next":
        return target, Step("next", target.question_id, option_ids=_state_selection(body, target))
    return target, Step(kind, target.question_id)  # skip, back


async def _answer(deps: Deps, kind: str, body: dict, actor: Actor, client, respond) -> None:
    action = _action(body)
    target, step = _step_for(kind, body, action)
    if target is None or step is None:
        await _ephemeral(respond, t("survey_runs.error.bad_button", actor.lang))
        return
    try:
        async with deps.uow() as uow:
            state = await surveys.act(uow, deps.clock.now(), actor.user_id, target.run_code, step,
                                      interaction=str(action.get("action_ts") or "")[:40] or None)
    except Refusal as err:
        await _ephemeral(respond, t(err.key, actor.lang, **err.params))
        return
    if state.outcome is Outcome.RECORDED:
        return  # a checkbox changed: the message already shows it
    if state.outcome is Outcome.INVALID:
        blocks = build_dialog_error(state.error_key, actor.lang)
        await respond(response_type="ephemeral", replace_original=False, **message(blocks, blocks[0]["text"]["text"]))
        return
    # Advanced, went back, done — or stale input, in which case the message is brought up to date.
    await show_dialog(deps, client, actor, state, respond)


async def _run_dialog(deps: Deps, body: dict, actor: Actor, respond, service, client=None) -> DialogState | None:
    """The button's run, handed to `service(uow, now, user_id, run_code)`; None (the person told
    why) when the button or the run cannot be used. With `client`, a button on the Home tab (no
    response_url) is answered in the person's DM."""

    async def tell(text: str) -> None:
        if client is None:
            await _ephemeral(respond, text)
        else:
            await answer(body, respond, client, actor.user_id, text=text)

    target = _element_value(_action(body))
    if target is None:
        await tell(t("survey_runs.error.bad_button", actor.lang))
        return None
    try:
        async with deps.uow() as uow:
            return await service(uow, deps.clock.now(), actor.user_id, target.run_code)
    except Refusal as err:
        await tell(t(err.key, actor.lang, **err.params))
        return None


async def start(ack, body, context, client, respond):
    """回答を始める / 続きから回答する, from the invitation, a reminder, the paused note or the Home tab."""
    await ack()
    deps, actor = deps_of(context), actor_of(context)
    state = await _run_dialog(deps, body, actor, respond, surveys.begin, client)
    if state is None:
        return
    if state.status is DialogStatus.COMPLETED:
        await answer(body, respond, client, actor.user_id, text=t("survey_runs.already_completed", actor.lang))
        return
    if state.status is DialogStatus.CLOSED:
        await answer(body, respond, client, actor.user_id, text=t("survey_runs.closed", actor.lang))
        return
    await post_dialog(deps, client, actor, state)


async def open_text(ack, body, context, client, respond):
    """回答を入力する: the free-text answer form for the question the person is at."""
    await ack()
    deps, actor = deps_of(context), actor_of(context)
    state, at_it = await _at_text_question(deps, body, actor, respond)
    if state is None:
        return
    if not at_it:
        await show_dialog(deps, client, actor, state, respond)  # a stale message: show where they are
        return
    view = build_text_answer_modal(state.survey, state.progress, state.run_code, actor.lang)
    await client.views_open(trigger_id=body.get("trigger_id"), view=view)


async def _at_text_question(deps: Deps, body: dict, actor: Actor, respond) -> tuple[DialogState | None, bool]:
    """The dialog as it stands (None: the person was told why not), and whether the free-text
    question the button is for is still the one it is at."""
    state = await _run_dialog(deps, body, actor, respond, surveys.current)
    if state is None:
        return None, False
    question = current_question(state.survey, state.progress) if state.answering else None
    target = _element_value(_action(body))
    return state, question is not None and question.id == target.question_id and question.kind == "text"


_CANCEL_WORDS = {"キャンセル", "cancel", "中断", "やめる", "stop"}
_HELP_WORDS = {"help", "ヘルプ", "?", "使い方"}
_COMMAND_WORDS = _HELP_WORDS | {"jirei"}


def _first_word(text: str) -> str:
    words = normalise(text).strip().lower().split()
    return words[0] if words else ""


def _reads_as_command(text: str) -> bool:
    """`help`, `/jirei …`, `／jirei …`: meant for the bot, not an answer to a survey question."""
    first = _first_word(text)
    return bool(first) and (first.startswith("/") or first in _COMMAND_WORDS)


async def _post(client, channel: str, blocks: list[dict]) -> bool:
    await client.chat_postMessage(channel=channel, **message(blocks, blocks[0]["text"]["text"]))
    return True


async def answer_by_dm(deps: Deps, actor: Actor, event: dict, client) -> bool:
    """A DM while one of this person's dialogs waits: 「キャンセル」 pauses it (whatever the question),
    `help` says how to answer (the buttons, for a choice question), and a reply answers an open
    free-text question. False when no dialog of theirs waits, so the DM is someone else's business."""
    text = event.get("text")
    if not isinstance(text, str) or not actor.user_id:
        return False
    channel = event.get("channel") or actor.user_id
    now = deps.clock.now()
    if normalise(text).strip().lower() in _CANCEL_WORDS:
        async with deps.uow() as uow:
            paused = await surveys.pause_waiting(uow, now, actor.user_id)
        return paused is not None and await _post(client, channel, build_paused(paused.run_code, actor.lang))
    if _reads_as_command(text):
        async with deps.uow() as uow:
            active = await surveys.active_dialog(uow, now, actor.user_id)
            waiting = await surveys.waiting_for_text(uow, now, actor.user_id)
        question = current_question(active[1], active[2]) if active else None
        if question is not None and question.kind != "text" and _first_word(text) in _HELP_WORDS:
            return await _post(client, channel, build_choice_help(actor.lang))
        # `help` or `/jirei …` while a text question waits is left unanswered, and said so.
        return waiting is not None and await _post(client, channel, build_not_an_answer(actor.lang))
    async with deps.uow() as uow:
        waiting = await surveys.waiting_for_text(uow, now, actor.user_id)
    if waiting is None:
        return False
    run, survey, progress = waiting
    question = current_question(survey, progress)
    typed = unescape(text)
    proposal = await screen(deps, actor, typed)
    if proposal is not None:  # nothing stored: the person chooses first
        return await _post(client, channel, build_text_proposal(run.code, question.id, typed.strip(), proposal,
                                                                actor.lang))
    async with deps.uow() as uow:
        state = await surveys.act(uow, deps.clock.now(), actor.user_id, run.code,
                                  Step("text", question.id, text=typed))
    if state.outcome is Outcome.INVALID:
        return await _post(client, channel, build_dialog_error(state.error_key, actor.lang))
    # The reply is below the dialog message, so the next question follows as a new message.
    await post_dialog(deps, client, actor, state)
    return True


# --- the personal-data check of free-text answers ----------------------------------------------------


async def screen(deps: Deps, actor: Actor, text: str) -> Proposal | None:
    """The checker's proposal for a free-text answer, or None: off the loop, outside any transaction."""
    today = deps.clock.now().astimezone(deps.tz).date()
    return await asyncio.to_thread(surveys.screen_answer, text, today, actor.lang)


def _block_text(body: dict, block_id: str) -> str | None:
    """The plain text of one block of the message the button is in (the proposal or the own text)."""
    for block in (body.get("message") or {}).get("blocks") or []:
        if isinstance(block, dict) and block.get("block_id") == block_id:
            text = (block.get("text") or {}).get("text")
            return text if isinstance(text, str) and len(text) <= 3000 else None
    return None


async def _replace(respond, blocks: list[dict]) -> None:
    """The proposal message, redrawn in place (through its response_url: only that message)."""
    await respond(replace_original=True, **message(blocks, blocks[0]["text"]["text"]))


async def _store_chosen(ack, body, context, client, respond, block_id: str, done_key: str) -> None:
    """提案の文で回答する / はい、このまま回答する: the chosen text is the answer, unchecked again."""
    await ack()
    deps, actor = deps_of(context), actor_of(context)
    target = _element_value(_action(body))
    chosen = _block_text(body, block_id)
    if target is None or chosen is None:
        await _ephemeral(respond, t("survey_runs.error.bad_button", actor.lang))
        return
    try:
        async with deps.uow() as uow:
            state = await surveys.act(uow, deps.clock.now(), actor.user_id, target.run_code,
                                      Step("text", target.question_id, text=chosen))
    except Refusal as err:
        await _ephemeral(respond, t(err.key, actor.lang, **err.params))
        return
    if state.outcome is Outcome.INVALID:
        blocks = build_dialog_error(state.error_key, actor.lang)
        await respond(response_type="ephemeral", replace_original=False, **message(blocks, blocks[0]["text"]["text"]))
        return
    if state.outcome is Outcome.IGNORED:
        await _replace(respond, build_proposal_done("surveys.proposal.stale", actor.lang))
        return
    # The texts leave the proposal message; the next question (or the thanks) follows below it.
    await _replace(respond, build_proposal_done(done_key, actor.lang))
    await post_dialog(deps, client, actor, state)


async def _keep_step(ack, body, context, respond, confirming: bool) -> None:
    """このまま回答する asks once more; 戻る shows the three choices again."""
    await ack()
    deps, actor = deps_of(context), actor_of(context)
    target = _element_value(_action(body))
    original = _block_text(body, ids.SURVEY_ORIGINAL_BLOCK)
    if target is None or original is None:
        await _ephemeral(respond, t("survey_runs.error.bad_button", actor.lang))
        return
    proposal = await screen(deps, actor, original) or Proposal(original, ())
    await _replace(respond, build_text_proposal(target.run_code, target.question_id, original, proposal, actor.lang,
                                                confirming=confirming))


async def edit(ack, body, context, client, respond):
    """編集する: the answer form again, holding what the person wrote; what they send is checked again."""
    await ack()
    deps, actor = deps_of(context), actor_of(context)
    state, at_it = await _at_text_question(deps, body, actor, respond)
    if state is None:
        return
    if not at_it:
        await _replace(respond, build_proposal_done("surveys.proposal.stale", actor.lang))
        return
    original = _block_text(body, ids.SURVEY_ORIGINAL_BLOCK)
    view = build_text_answer_modal(state.survey, state.progress, state.run_code, actor.lang, initial=original)
    await client.views_open(trigger_id=body.get("trigger_id"), view=view)
    await _replace(respond, build_proposal_done("surveys.proposal.editing", actor.lang))


async def cancel(ack, body, context, client, respond):
    """中断する: the dialog paused where it stopped."""
    await ack()
    deps, actor = deps_of(context), actor_of(context)
    state = await _run_dialog(deps, body, actor, respond, surveys.pause)
    if state is None:
        return
    await show_dialog(deps, client, actor, state, respond,
                      blocks=build_paused(state.run_code, actor.lang) if state.answering else None)


async def use_proposal(ack, body, context, client, respond):
    await _store_chosen(ack, body, context, client, respond, ids.SURVEY_PROPOSAL_BLOCK,
                        "surveys.proposal.stored_proposal")


async def keep_confirmed(ack, body, context, client, respond):
    await _store_chosen(ack, body, context, client, respond, ids.SURVEY_ORIGINAL_BLOCK, "surveys.proposal.stored_own")


async def keep(ack, body, context, respond):
    await _keep_step(ack, body, context, respond, confirming=True)


async def keep_back(ack, body, context, respond):
    await _keep_step(ack, body, context, respond, confirming=False)


# Every answer button takes the same path; only the dialog step differs.
async def choose(ack, body, context, client, respond):
    await _answer_step(ack, "choose", body, context, client, respond)


async def choose_several(ack, body, context, client, respond):
    await _answer_step(ack, "multi", body, context, client, respond)


async def next_question(ack, body, context, client, respond):
    await _answer_step(ack, "next", body, context, client, respond)


async def skip(ack, body, context, client, respond):
    await _answer_step(ack, "skip", body, context, client, respond)


async def back(ack, body, context, client, respond):
    await _answer_step(ack, "back", body, context, client, respond)


async def _answer_step(ack, step: str, body, context, client, respond) -> None:
    await ack()
    await _answer(deps_of(context), step, body, actor_of(context), client, respond)
