"""The free-text answer modal of the survey dialog."""

from __future__ import annotations

import json

from slack_bolt.async_app import AsyncApp

from bot import ids
from bot.blocks.surveys import parse_survey_value
from bot.deps import Deps
from bot.i18n import t
from bot.services import surveys
from bot.services.sessions import SessionError
from bot.services.surveys import Step
from bot.surveys.dialog import MAX_TEXT_LENGTH, Outcome
from handlers.actions.surveys import dialog_blocks, dialog_text
from handlers.context import actor_of, message

MAX_METADATA = 400


def _metadata(view: dict) -> tuple[str, str]:
    """(survey value, dialog message ts) from the modal's private_metadata."""
    raw = view.get("private_metadata") or ""
    if len(raw) > MAX_METADATA:
        return "", ""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError:
        return "", ""
    if not isinstance(data, dict):
        return "", ""
    return str(data.get("value") or ""), str(data.get("ts") or "")


def _typed_text(view: dict) -> str:
    block = ((view.get("state") or {}).get("values") or {}).get(ids.SURVEY_TEXT_BLOCK) or {}
    value = (block.get(ids.SURVEY_TEXT_INPUT) or {}).get("value")
    return value if isinstance(value, str) else ""


def register(app: AsyncApp, deps: Deps) -> None:
    @app.view(ids.SURVEY_TEXT_VIEW)
    async def submit_text(ack, body, view, context, client):
        actor = actor_of(context)
        value, ts = _metadata(view)
        target = parse_survey_value(value)
        if target is None:
            await ack(response_action="errors",
                      errors={ids.SURVEY_TEXT_BLOCK: t("survey_runs.error.bad_button", actor.lang)})
            return
        # The service runs before the ack: an unusable answer is shown under the field.
        try:
            async with deps.uow() as uow:
                state = await surveys.act(uow, deps.clock.now(), actor.user_id, target.run_code,
                                          Step("text", target.question_id, text=_typed_text(view)))
        except SessionError as err:
            await ack(response_action="errors", errors={ids.SURVEY_TEXT_BLOCK: t(err.key, actor.lang, **err.params)})
            return
        if state.outcome is Outcome.INVALID:
            await ack(response_action="errors",
                      errors={ids.SURVEY_TEXT_BLOCK: t(state.error_key, actor.lang, max=MAX_TEXT_LENGTH)})
            return
        await ack()
        opened = await client.conversations_open(users=actor.user_id)
        channel = opened["channel"]["id"]
        content = message(dialog_blocks(state, actor.lang), dialog_text(state, actor.lang))
        if ts:
            await client.chat_update(channel=channel, ts=ts, **content)
        else:
            await client.chat_postMessage(channel=channel, **content)
